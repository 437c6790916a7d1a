import type { FastifyReply } from "fastify";
import { acceptsEventStream, formatRetryAfter, ifNoneMatchMatches, isJobStatus, isTerminal, jobETag, preferredWait } from "async-jobs/protocol";
import type { SubmitJobRequest } from "async-jobs/types";
import { defaultServerConfig } from "../config.ts";
import type { JobTypeRegistry } from "../job-types/index.ts";
import { cachedJobText, type JobText, toJob } from "../store/job-representation.ts";
import { suggestedPollSeconds } from "../store/poll-estimate.ts";
import type { JobStore, StoredJob } from "../store/job-store.ts";
import { checkWebhookUrl } from "../webhooks/webhook-url-guard.ts";
import { createHeldWaits, type HeldWaits } from "./held-waits.ts";
import { contextOfTrace, readTraceContext, type TraceContext, traceContextOfSpan } from "../tracing/trace-context.ts";
import { inSpan } from "../tracing/tracer.ts";
import { bodyFingerprint, readIdempotencyKey } from "./idempotency-key.ts";
import { streamJob } from "./job-stream.ts";
import { decodeCursor, encodeCursor } from "./list-cursor.ts";
import type { OperationHandlers, OperationRequest } from "./operation-handler.ts";
import { ProblemError } from "./problems.ts";

export interface JobHandlerDeps {
  store: JobStore;
  registry: JobTypeRegistry;
  /** Accept webhook URLs on private, loopback and link-local addresses (tests, dev). @default false */
  allowPrivateWebhooks?: boolean;
  /** Largest `Prefer: wait` honoured, seconds (spec §2). @default defaultServerConfig.maxWaitS */
  maxWaitS?: number;
  /** How long idempotency keys are kept (at least 24 h). @default defaultServerConfig.idempotencyTtlMs */
  idempotencyTtlMs?: number;
  /** @default defaultServerConfig.defaultMaxAttempts */
  defaultMaxAttempts?: number;
  /** `Retry-After` of submits and of status reads while a job runs, seconds. @default defaultServerConfig.retryAfterS */
  retryAfterS?: number;
  /** Host resolution for the webhook URL guard (tests inject it). */
  resolveHost?: (host: string) => Promise<string[]>;
  /** Caps on held long polls. @default createHeldWaits({ max: defaultServerConfig.maxHeldWaits, perTenant: defaultServerConfig.maxHeldWaitsPerTenant }) */
  heldWaits?: HeldWaits;
  /** Caps on open job streams (spec §2), counted apart from long polls. @default the same limits as `heldWaits` */
  heldStreams?: HeldWaits;
  /** Gap between job-stream heartbeats, ms. @default defaultJobStreamOptions.heartbeatMs */
  streamHeartbeatMs?: number;
  /** Aborted when the server shuts down: open job streams end, and their clients resume elsewhere. */
  closing?: AbortSignal;
}

/**
 * Answers with the Job representation as text, so fastify's serializer never sees it.
 */
function sendJob(reply: FastifyReply, job: StoredJob): FastifyReply {
  return sendJobText(reply, JSON.stringify(toJob(job)));
}

function sendJobText(reply: FastifyReply, text: string): FastifyReply {
  return reply.type("application/json; charset=utf-8").send(text);
}

const notFound = (id: string) => new ProblemError("not_found", `No job ${id}.`);

/** The operations these handlers serve. */
export type JobOperationId = "submitJob" | "getJob" | "cancelJob" | "listJobs" | "listJobTypes" | "listDeliveries";

/**
 * The handlers of the job operations, keyed by operationId (openapi.yaml): submit, status (with
 * ETag, 304 and long poll), cancel, list, job types and deliveries (spec §2, §3).
 *
 * @example
 * const app = await createApp({ handlers: createJobHandlers({ store, registry }), tokens });
 */
export function createJobHandlers(deps: JobHandlerDeps): OperationHandlers<JobOperationId> {
  const { store, registry } = deps;
  const maxWaitS = deps.maxWaitS ?? defaultServerConfig.maxWaitS;
  const retryAfterS = deps.retryAfterS ?? defaultServerConfig.retryAfterS;
  const retryAfter = formatRetryAfter(retryAfterS);
  // Never under the 24 h the protocol promises (spec §2).
  const keyTtlMs = Math.max(deps.idempotencyTtlMs ?? defaultServerConfig.idempotencyTtlMs, 86_400_000);
  // Keys whose first request is still being processed in this process (→ 409 idempotency_key_in_use).
  const inFlight = new Set<string>();
  const heldWaits =
    deps.heldWaits ?? createHeldWaits({ max: defaultServerConfig.maxHeldWaits, perTenant: defaultServerConfig.maxHeldWaitsPerTenant });
  const heldStreams =
    deps.heldStreams ?? createHeldWaits({ max: defaultServerConfig.maxHeldWaits, perTenant: defaultServerConfig.maxHeldWaitsPerTenant });
  const streamOptions = { store, heartbeatMs: deps.streamHeartbeatMs, closing: deps.closing, retryMs: retryAfterS * 1000 };

  /**
   * Honours `Prefer: wait` (spec §2): holds until `done(job)` or the wait is over, within the
   * caps on held waits; past a cap the answer goes at once, as if no wait had been asked for.
   * `applied` says whether the preference was honoured (and `Preference-Applied` sent).
   */
  async function longPoll(request: OperationRequest<"getJob" | "submitJob">, reply: FastifyReply, job: StoredJob, done: (job: StoredJob) => boolean) {
    const wait = preferredWait(request.headers.prefer, maxWaitS);
    if (wait === undefined) return { job, applied: false };
    // Only a wait that would block takes a slot.
    if (!done(job) && wait > 0) {
      const release = heldWaits.tryHold(request.tenant);
      if (!release) return { job, applied: false };
      try {
        job = await waitForJob(reply, job, done, wait);
      } finally {
        release();
      }
    }
    reply.header("Preference-Applied", `wait=${wait}`);
    return { job, applied: true };
  }

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

  async function answerSubmit(request: OperationRequest<"submitJob">, reply: FastifyReply, submitted: StoredJob, replayed: boolean) {
    const { job, applied } = await longPoll(request, reply, submitted, (j) => isTerminal(j.status));
    reply.header("Location", `/v1/jobs/${job.id}`);
    if (replayed) reply.header("Idempotent-Replayed", "true");
    if (applied && isTerminal(job.status)) return sendJob(reply.code(200), job);
    return sendJob(reply.code(202).header("Retry-After", retryAfter), job);
  }

  /**
   * A new job, or the stored job of a finished first request with this key (key and job in one
   * commit). Validation comes first: a refused request stores no key (spec §2). The store
   * answers a live key itself (replayed or key_reused), in the statement that would insert it,
   * so a keyed submit is one round trip; only a refused body looks its key up, because a replay
   * answers as the first request did, whatever validation says now.
   */
  async function createOrReplay(tenant: string, body: SubmitJobRequest, key: string | undefined, print: string | undefined, trace: TraceContext | null) {
    try {
      await checkSubmission(tenant, body);
    } catch (error) {
      const replay = key === undefined ? undefined : await findReplay(tenant, key, print);
      if (replay) return replay;
      throw error;
    }
    return store.createJob({
      tenant,
      type: body.type,
      input: body.input,
      metadata: body.metadata ?? {},
      maxAttempts: body.max_attempts ?? registry.get(body.type)?.maxAttempts ?? deps.defaultMaxAttempts ?? defaultServerConfig.defaultMaxAttempts,
      webhookUrl: body.webhook?.url ?? null,
      webhookEvents: body.webhook?.events ?? null,
      idempotency: key === undefined ? undefined : { key, fingerprint: print!, ttlMs: keyTtlMs },
      trace,
    });
  }

  /** The job of a live key used with this body; refuses a key used with another body. */
  async function findReplay(tenant: string, key: string, print: string | undefined) {
    const existing = await store.findIdempotencyKey(tenant, key);
    if (!existing) return undefined;
    if (existing.fingerprint !== print) {
      throw new ProblemError("idempotency_key_reused", "This Idempotency-Key was used with a different request body.");
    }
    const job = await store.getJob(tenant, existing.jobId);
    return job ? { kind: "replayed" as const, job } : undefined;
  }

  /** A status read's answer (spec §2): `304` when If-None-Match names this version, else the Job. */
  function answerStatus(request: OperationRequest<"getJob">, reply: FastifyReply, read: JobText) {
    const etag = jobETag(read.version);
    reply.header("ETag", etag).header("Cache-Control", "no-cache");
    // The suggested poll interval (spec §1.9): when the job's progress says when it ends, about then.
    const pollAfter = read.estimate === null ? retryAfter : formatRetryAfter(suggestedPollSeconds(read.estimate, Date.now(), retryAfterS));
    if (ifNoneMatchMatches(request.headers["if-none-match"], etag)) {
      return reply.code(304).header("Retry-After", pollAfter).send();
    }
    if (!isTerminal(read.status)) reply.header("Retry-After", pollAfter);
    return sendJobText(reply.code(200), read.text);
  }

  return {
    async submitJob(request, reply) {
      // The answer depends on Prefer (200 after a wait, or 202): caches must key on it (RFC 7240 §2).
      reply.header("Vary", "Prefer");
      const tenant = request.tenant;
      const body = request.body;
      const key = readIdempotencyKey(request.headers["idempotency-key"]);
      const print = key === undefined ? undefined : bodyFingerprint(body);
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
        // The job keeps the submit span's context, a child of the received one (spec §8.6).
        const received = readTraceContext(request.headers);
        outcome = await inSpan("async-jobs submit", contextOfTrace(received), (span) =>
          createOrReplay(tenant, body, key, print, traceContextOfSpan(span, received)), { "async_jobs.job_type": body.type });
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
      // Held or not, 200 or 304: the answer depends on Prefer, on every status (RFC 7240 §2).
      reply.header("Vary", "Prefer, Accept");
      const { id } = request.params;
      const { prefer, accept } = request.headers;
      // A plain status read (no Prefer, no stream) answers at once, with the text of the job's
      // version: no wait bookkeeping, and a store may skip the row of an unchanged job.
      if (prefer === undefined && !acceptsEventStream(accept)) {
        const read = await store.readJobText(request.tenant, id);
        if (!read) throw notFound(id);
        return answerStatus(request, reply, read);
      }
      const found = await store.getJob(request.tenant, id);
      if (!found) throw notFound(id);
      if (acceptsEventStream(accept)) {
        // Past a cap the JSON goes out, which a client reads as "no stream here" (spec §2).
        const release = heldStreams.tryHold(request.tenant);
        if (release) return streamJob(streamOptions, request, reply, found).finally(release);
      }
      let job = found;
      if (prefer !== undefined) {
        // With If-None-Match: until the representation differs; without: until terminal.
        const ifNoneMatch = request.headers["if-none-match"];
        const done = ifNoneMatch
          ? (j: StoredJob) => !ifNoneMatchMatches(ifNoneMatch, jobETag(j.version))
          : (j: StoredJob) => isTerminal(j.status);
        ({ job } = await longPoll(request, reply, found, done));
      }
      return answerStatus(request, reply, cachedJobText(job));
    },

    async cancelJob(request, reply) {
      const { id } = request.params;
      const outcome = await store.requestCancel(request.tenant, id);
      switch (outcome.kind) {
        case "not_found":
          throw notFound(id);
        case "terminal":
          throw new ProblemError("job_already_terminal", `Job ${id} already ${outcome.job.status}.`);
        case "cancel_requested":
          return sendJob(reply.code(202).header("Retry-After", retryAfter), outcome.job);
        default:
          return sendJob(reply.code(200), outcome.job);
      }
    },

    async listJobs(request) {
      const { query } = request;
      let beforeId: string | undefined;
      if (query.cursor !== undefined) {
        beforeId = decodeCursor(query.cursor);
        if (beforeId === undefined) {
          throw new ProblemError("invalid_request", "The cursor is not one this server handed out.", {
            errors: [{ path: "cursor", message: "must be a next_cursor of a previous page" }],
          });
        }
      }
      const limit = query.limit ?? defaultServerConfig.listLimit;
      const statuses = query.status?.split(",").filter(isJobStatus);
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
      const { id } = request.params;
      const records = await store.listDeliveries(request.tenant, id);
      if (!records) throw notFound(id);
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
}
