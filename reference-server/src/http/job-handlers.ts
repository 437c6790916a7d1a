import type { FastifyReply, FastifyRequest, RouteHandlerMethod } from "fastify";
import type { JobStatus, SubmitJobRequest } from "async-jobs/types";
import { fingerprint } from "../canonical-json.ts";
import type { JobTypeRegistry } from "../job-types/index.ts";
import { isTerminal, jobETag, toJob } from "../store/job-representation.ts";
import type { JobStore, StoredJob } from "../store/job-store.ts";
import { checkWebhookUrl } from "../webhooks/webhook-url-guard.ts";
import { idempotencyKey } from "./idempotency-key.ts";
import { decodeCursor, encodeCursor } from "./list-cursor.ts";
import { preferredWait } from "./prefer-wait.ts";
import { ProblemError } from "./problems.ts";

export interface JobHandlerDeps {
  store: JobStore;
  registry: JobTypeRegistry;
  /** Accept webhook URLs on private, loopback and link-local addresses (tests, dev). @default false */
  allowPrivateWebhooks?: boolean;
  /** Largest `Prefer: wait` honoured, seconds (spec §2). @default 20 */
  maxWaitS?: number;
  /** How long idempotency keys are kept (at least 24 h). @default 86400000 */
  idempotencyTtlMs?: number;
  /** @default 3 */
  defaultMaxAttempts?: number;
  /** `Retry-After` of submits and of status reads while a job runs, seconds. @default 1 */
  retryAfterS?: number;
  /** Host resolution for the webhook URL guard (tests inject it). */
  resolveHost?: (host: string) => Promise<string[]>;
}

const STATUSES: readonly JobStatus[] = ["queued", "running", "succeeded", "failed", "canceled"];

/**
 * The handlers of the job operations, keyed by operationId (openapi.yaml): submit, status (with
 * ETag, 304 and long poll), cancel, list, job types and deliveries (spec §2, §3).
 *
 * @example
 * const app = await createApp({ handlers: createJobHandlers({ store, registry }), tokens });
 */
export function createJobHandlers(deps: JobHandlerDeps): Record<string, RouteHandlerMethod> {
  const { store, registry } = deps;
  const maxWaitS = deps.maxWaitS ?? 20;
  const retryAfter = String(deps.retryAfterS ?? 1);
  const keyTtlMs = Math.max(deps.idempotencyTtlMs ?? 86_400_000, 86_400_000);
  // Keys whose first request is still being processed in this process (→ 409 idempotency_key_in_use).
  const inFlight = new Set<string>();

  /** Holds until `done(job)` or the wait is over; wakes on the store's change notifications. */
  async function waitForJob(reply: FastifyReply, job: StoredJob, done: (job: StoredJob) => boolean, waitS: number) {
    if (done(job) || waitS <= 0) return job;
    const deadline = Date.now() + waitS * 1000;
    let wake: () => void = () => {};
    let changed = false;
    const unsubscribe = store.changes.onJob(job.id, () => {
      changed = true;
      wake();
    });
    // The response's close (not the request's: a read body is closed already) means the client left.
    const onClose = () => wake();
    reply.raw.once("close", onClose);
    try {
      let current = job;
      for (;;) {
        changed = false;
        const fresh = await store.getJob(job.tenant, job.id);
        if (!fresh) return current;
        current = fresh;
        const remaining = deadline - Date.now();
        if (done(current) || remaining <= 0 || reply.raw.destroyed || reply.raw.socket?.destroyed) return current;
        if (!changed) {
          await new Promise<void>((resolve) => {
            const timer = setTimeout(resolve, remaining);
            wake = () => {
              clearTimeout(timer);
              resolve();
            };
          });
        }
      }
    } finally {
      unsubscribe();
      reply.raw.off("close", onClose);
    }
  }

  async function checkSubmission(tenant: string, body: SubmitJobRequest) {
    const definition = registry.get(body.type);
    if (!definition) throw new ProblemError("unknown_job_type", `This server has no job type "${body.type}".`);
    const errors = registry.checkInput(body.type, body.input);
    if (errors.length > 0) {
      throw new ProblemError("invalid_input", `The input does not match the input_schema of ${body.type}.`, { errors });
    }
    const semantic = await definition.validate?.(body.input, { tenant });
    if (semantic && semantic.length > 0) {
      throw new ProblemError("invalid_input", `The input is not valid for ${body.type}.`, { errors: semantic });
    }
    if (body.webhook) {
      const refusal = await checkWebhookUrl(body.webhook.url, {
        allowPrivate: deps.allowPrivateWebhooks ?? false,
        resolve: deps.resolveHost,
      });
      if (refusal) {
        throw new ProblemError("invalid_webhook_url", refusal, { errors: [{ path: "/webhook/url", message: refusal }] });
      }
    }
  }

  async function answerSubmit(request: FastifyRequest, reply: FastifyReply, job: StoredJob, replayed: boolean) {
    const wait = preferredWait(request.headers.prefer, maxWaitS);
    if (wait !== undefined) {
      job = await waitForJob(reply, job, (j) => isTerminal(j.status), wait);
      reply.header("Preference-Applied", `wait=${wait}`);
    }
    reply.header("Location", `/v1/jobs/${job.id}`);
    if (replayed) reply.header("Idempotent-Replayed", "true");
    if (wait !== undefined && isTerminal(job.status)) return reply.code(200).send(toJob(job));
    return reply.code(202).header("Retry-After", retryAfter).send(toJob(job));
  }

  /** The stored job of a finished first request with this key, or a new job (key and job in one commit). */
  async function createOrReplay(tenant: string, body: SubmitJobRequest, key: string | undefined, print: string | undefined) {
    if (key !== undefined) {
      const existing = await store.findIdempotencyKey(tenant, key);
      if (existing) {
        if (existing.fingerprint !== print) {
          throw new ProblemError("idempotency_key_reused", "This Idempotency-Key was used with a different request body.");
        }
        const job = await store.getJob(tenant, existing.jobId);
        if (job) return { kind: "replayed" as const, job };
      }
    }
    // Validation first: a refused request stores no key (spec §2).
    await checkSubmission(tenant, body);
    return store.createJob({
      tenant,
      type: body.type,
      input: body.input,
      metadata: body.metadata ?? {},
      maxAttempts: body.max_attempts ?? registry.get(body.type)?.maxAttempts ?? deps.defaultMaxAttempts ?? 3,
      webhookUrl: body.webhook?.url ?? null,
      idempotency: key === undefined ? undefined : { key, fingerprint: print!, ttlMs: keyTtlMs },
    });
  }

  const handlers: Record<string, RouteHandlerMethod> = {
    async submitJob(request, reply) {
      const tenant = request.tenant;
      const body = request.body as SubmitJobRequest;
      const key = idempotencyKey(request.headers["idempotency-key"] as string | undefined);
      const print = key === undefined ? undefined : fingerprint(body);
      const slot = `${tenant}\u0000${key}`;
      if (key !== undefined) {
        if (inFlight.has(slot)) {
          throw new ProblemError("idempotency_key_in_use", "A request with this Idempotency-Key is still being processed.", {
            headers: { "Retry-After": "1" },
          });
        }
        // Claimed before the first await: a request with the same key that arrives while this
        // one looks its key up or commits must see it in flight (spec §2: 409).
        inFlight.add(slot);
      }
      let outcome;
      try {
        outcome = await createOrReplay(tenant, body, key, print);
      } finally {
        // Released before any Prefer: wait hold below, so a held answer keeps no key busy.
        if (key !== undefined) inFlight.delete(slot);
      }
      if (outcome.kind === "key_reused") {
        throw new ProblemError("idempotency_key_reused", "This Idempotency-Key was used with a different request body.");
      }
      return answerSubmit(request, reply, outcome.job, outcome.kind === "replayed");
    },

    async getJob(request, reply) {
      const { id } = request.params as { id: string };
      let job = await store.getJob(request.tenant, id);
      if (!job) throw new ProblemError("not_found", `No job ${id}.`);
      const ifNoneMatch = request.headers["if-none-match"];
      const wait = preferredWait(request.headers.prefer, maxWaitS);
      if (wait !== undefined) {
        // With If-None-Match: until the representation differs; without: until terminal.
        const done = ifNoneMatch
          ? (j: StoredJob) => !etagMatches(ifNoneMatch, jobETag(j))
          : (j: StoredJob) => isTerminal(j.status);
        job = await waitForJob(reply, job, done, wait);
        reply.header("Preference-Applied", `wait=${wait}`);
      }
      const etag = jobETag(job);
      reply.header("ETag", etag).header("Cache-Control", "no-cache");
      if (ifNoneMatch && etagMatches(ifNoneMatch, etag)) {
        return reply.code(304).header("Retry-After", retryAfter).send();
      }
      if (!isTerminal(job.status)) reply.header("Retry-After", retryAfter);
      return reply.code(200).send(toJob(job));
    },

    async cancelJob(request, reply) {
      const { id } = request.params as { id: string };
      const outcome = await store.requestCancel(request.tenant, id);
      switch (outcome.kind) {
        case "not_found":
          throw new ProblemError("not_found", `No job ${id}.`);
        case "terminal":
          throw new ProblemError("job_already_terminal", `Job ${id} already ${outcome.job.status}.`);
        case "cancel_requested":
          return reply.code(202).header("Retry-After", retryAfter).send(toJob(outcome.job));
        default:
          return reply.code(200).send(toJob(outcome.job));
      }
    },

    async listJobs(request) {
      const query = request.query as { status?: string; type?: string; limit?: number; cursor?: string };
      let beforeId: string | undefined;
      if (query.cursor !== undefined) {
        beforeId = decodeCursor(query.cursor);
        if (beforeId === undefined) {
          throw new ProblemError("invalid_request", "The cursor is not one this server handed out.", {
            errors: [{ path: "cursor", message: "must be a next_cursor of a previous page" }],
          });
        }
      }
      const limit = query.limit ?? 20;
      const statuses = query.status?.split(",").filter((s): s is JobStatus => (STATUSES as string[]).includes(s));
      const jobs = await store.listJobs({ tenant: request.tenant, statuses, type: query.type, limit: limit + 1, beforeId });
      const page = jobs.slice(0, limit);
      return {
        data: page.map(toJob),
        next_cursor: jobs.length > limit ? encodeCursor(page[page.length - 1]!.id) : null,
      };
    },

    async listJobTypes() {
      return { data: registry.list() };
    },

    async listDeliveries(request) {
      const { id } = request.params as { id: string };
      const records = await store.listDeliveries(request.tenant, id);
      if (!records) throw new ProblemError("not_found", `No job ${id}.`);
      return {
        data: records.map((r) => ({
          event_id: r.eventId,
          attempt: r.attempt,
          status_code: r.statusCode,
          error: r.error,
          at: new Date(r.at).toISOString(),
          next_attempt_at: r.nextAttemptAt === null ? null : new Date(r.nextAttemptAt).toISOString(),
          state: r.state,
        })),
      };
    },
  };
  return handlers;
}

/**
 * Does an `If-None-Match` value match this ETag (weak comparison, lists and `*`; RFC 9110 §13.1.2)?
 *
 * @example
 * etagMatches('W/"3", "4"', '"4"'); // true
 */
export function etagMatches(ifNoneMatch: string, etag: string): boolean {
  if (ifNoneMatch.trim() === "*") return true;
  return ifNoneMatch.split(",").some((candidate) => candidate.trim().replace(/^W\//, "") === etag);
}
