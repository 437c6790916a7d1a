import { http, HttpResponse, type HttpHandler } from "msw";
import type { Job, JobEvent, JobList, JobTypeList, SubmitJobRequest, Upload } from "../types.ts";
import { createJobSimulator, isTerminal, type JobRecord } from "./job-simulator.ts";
import { faultCode, takeFault, type MockFault } from "./mock-fault.ts";
import { builtInMockJobTypes, type MockJobContext, type MockJobType } from "./mock-job-type.ts";
import { invalidRequest, ProblemError } from "./problem-response.ts";
import { canonicalJson, idempotencyKey, preferWait, readJsonBody } from "./read-request.ts";
import { checkBody, createUploadSimulator } from "./upload-simulator.ts";
import { createVirtualScheduler, type MockTimeMode } from "./virtual-scheduler.ts";

/** Options of {@link createJobsMock}; every field is optional. */
export interface JobsMockOptions {
  /** The API origin (and optional path prefix) your code calls. @default "http://async-jobs.test" */
  baseUrl?: string;
  /**
   * Where signed part and download URLs point, as on a server whose bytes live in an object store
   * (spec §4.3: another origin); only those URLs answer there. @default baseUrl
   */
  storageUrl?: string;
  /** Accepted bearer tokens and their tenants. @default any non-empty token, each its own tenant */
  tokens?: Record<string, string>;
  /** How virtual time moves (see {@link MockTimeMode}). @default "auto" */
  time?: MockTimeMode;
  /** Virtual time at creation. @default the wall clock */
  startTime?: Date | number;
  /** The job types served. @default builtInMockJobTypes */
  jobTypes?: Record<string, MockJobType>;
  /** `max_attempts` when a submit gives none. @default 3 */
  maxAttempts?: number;
  /** Virtual delay from submit to an attempt's start. @default 0 */
  queueDelayMs?: number;
  /** Virtual time after which an abandoned attempt is re-queued. @default 30000 */
  leaseTimeoutMs?: number;
  /** First virtual retry delay after a retryable failure, doubling. @default 1000 */
  retryDelayMs?: number;
  /** Virtual delay between canceling a running job and its end. @default 0 */
  cancelDelayMs?: number;
  /** Virtual duration of `file.checksum` and `file.gzip`. @default 1000 */
  fileJobDurationMs?: number;
  /** `Retry-After` on 202s, active 200s, 304s and 409s, seconds. @default 1 */
  retryAfterSeconds?: number;
  /** Cap of `Prefer: wait`, seconds. @default 20 */
  maxWaitSeconds?: number;
  /** Smallest part but the last. @default 5 MiB (the S3 rule) */
  minPartSize?: number;
  /** Lifetime of signed URLs, virtual seconds. @default 3600 */
  urlTtlSeconds?: number;
  /** JSON body limit in bytes. @default 1 MiB */
  bodyLimit?: number;
  /** Called with each terminal event of a job that has a `webhook` (the mock does not POST it). */
  onEvent?: (event: JobEvent) => void;
}

/** One request the mock answered. */
export interface MockRequestRecord {
  method: string;
  path: string;
  status: number;
}

/**
 * An in-memory async-jobs API for msw 2, with a clock the test controls.
 *
 * @example
 * const mock = createJobsMock({ time: "manual" });
 * server.use(...mock.handlers);
 * mock.advance(2000);
 */
export interface JobsMock {
  /** Give these to `setupServer(...)` (Node) or `setupWorker(...)` (browser). */
  readonly handlers: HttpHandler[];
  /** The base URL to point the SDK at. */
  readonly baseUrl: string;
  /** Every request answered so far, oldest first. */
  readonly requests: MockRequestRecord[];
  /** Terminal events of jobs with a webhook, oldest first. */
  readonly events: JobEvent[];
  /** Current virtual time. */
  now(): Date;
  /** Moves virtual time forward; jobs progress and finish, held long polls answer. */
  advance(ms: number): void;
  /** Moves virtual time to the next scheduled change; false when nothing is scheduled. */
  step(): boolean;
  /** Runs every scheduled change (all jobs end unless workers are paused). */
  runAll(): void;
  /** Queues a fault (see {@link MockFault}). */
  inject(fault: MockFault): void;
  /** Drops every queued fault. */
  clearFaults(): void;
  /** Requests held in a `Prefer: wait` right now (manual time): wait for one before `advance()`. */
  heldRequests(): number;
  /** Stops starting queued jobs (to test queued cancels); running ones go on. */
  pauseWorkers(): void;
  resumeWorkers(): void;
  /** A snapshot of every job, newest first, or of one. */
  jobs(): Job[];
  job(id: string): Job | undefined;
  /** A snapshot of every upload. */
  uploads(): Upload[];
  /** Ends a job now with this result. */
  succeedJob(id: string, result?: unknown): void;
  /** Ends a job now as failed with this problem code. */
  failJob(id: string, error: { code: string; message?: string; status?: number }): void;
  /** Sets a job's progress now. */
  setProgress(id: string, percent: number, message?: string | null): void;
}

const MiB = 1024 * 1024;

/**
 * Creates an in-memory async-jobs API for msw: every operation of the contract, with jobs that
 * progress and finish in virtual time, idempotency, ETags and long polls, cancels, cursors,
 * uploads and presigned downloads, and faults on demand.
 *
 * @example
 * import { setupServer } from "msw/node";
 * import { createJobsMock } from "async-jobs/msw";
 * const mock = createJobsMock({ baseUrl: "http://jobs.test" });
 * const server = setupServer(...mock.handlers);
 * server.listen();
 */
export function createJobsMock(options: JobsMockOptions = {}): JobsMock {
  const baseUrl = (options.baseUrl ?? "http://async-jobs.test").replace(/\/$/, "");
  const basePath = new URL(baseUrl).pathname.replace(/\/$/, "");
  const storageUrl = (options.storageUrl ?? baseUrl).replace(/\/$/, "");
  const jobTypes = options.jobTypes ?? builtInMockJobTypes;
  const retryAfter = String(options.retryAfterSeconds ?? 1);
  const maxWait = options.maxWaitSeconds ?? 20;
  const bodyLimit = options.bodyLimit ?? MiB;
  const start = options.startTime === undefined ? Date.now() : +options.startTime;
  const scheduler = createVirtualScheduler(options.time ?? "auto", start);
  const events: JobEvent[] = [];
  const requests: MockRequestRecord[] = [];
  const faults: MockFault[] = [];
  const jobs = createJobSimulator(
    scheduler,
    {
      queueDelayMs: options.queueDelayMs ?? 0,
      leaseTimeoutMs: options.leaseTimeoutMs ?? 30_000,
      retryDelayMs: options.retryDelayMs ?? 1000,
      cancelDelayMs: options.cancelDelayMs ?? 0,
    },
    (event) => {
      events.push(event);
      options.onEvent?.(event);
    },
  );
  const uploads = createUploadSimulator(scheduler, {
    baseUrl: storageUrl,
    minPartSize: options.minPartSize ?? 5 * MiB,
    urlTtlSeconds: options.urlTtlSeconds ?? 3600,
  });
  /** Idempotency records per tenant and key (spec §2). */
  const keys = new Map<string, { fingerprint: string; jobId?: string }>();

  const context = (tenant: string): MockJobContext => ({
    upload: (id) => uploads.bytesOf(tenant, id),
    publish: (bytes) => uploads.publish(bytes),
    fileJobDurationMs: options.fileJobDurationMs ?? 1000,
  });
  const json = (status: number, body: unknown, headers: Record<string, string> = {}) =>
    HttpResponse.json(body as object, { status, headers });
  const view = (rec: JobRecord) => structuredClone(rec.job) as Job;
  const deadline = (seconds: number) => scheduler.now() + seconds * 1000;

  /** A submit's answer, also used verbatim for replays: 200 when terminal within the wait, else 202. */
  async function answerSubmit(rec: JobRecord, wait: number | undefined, request: Request, replayed: boolean) {
    if (wait !== undefined) await jobs.hold(() => isTerminal(rec.job.status), deadline(wait), request.signal);
    // 200 only when a honoured wait saw the end; a replay answers what a first request would get.
    const done = wait !== undefined && isTerminal(rec.job.status);
    return json(done ? 200 : 202, view(rec), {
      location: `/v1/jobs/${rec.job.id}`,
      ...(done ? {} : { "retry-after": retryAfter }),
      ...(wait !== undefined ? { "preference-applied": `wait=${wait}` } : {}),
      ...(replayed ? { "idempotent-replayed": "true" } : {}),
    });
  }

  type Ctx = { request: Request; url: URL; tenant: string; params: string[]; onDone: (() => void)[] };
  type Route = { pattern: RegExp; auth: boolean; methods: Record<string, (ctx: Ctx) => Promise<Response> | Response> };

  const routes: Route[] = [
    {
      pattern: /^\/healthz$/,
      auth: false,
      methods: { GET: () => json(200, { status: "ok" }) },
    },
    {
      pattern: /^\/v1\/jobs$/,
      auth: true,
      methods: {
        async POST({ request, tenant, onDone }) {
          const key = idempotencyKey(request.headers);
          const wait = preferWait(request.headers, maxWait);
          const body = checkBody(
            await readJsonBody(request, bodyLimit),
            {
              type: (v) => (typeof v === "string" && v.length >= 1 && v.length <= 200 ? undefined : "must be a string of 1 to 200 characters"),
              input: () => undefined,
              webhook: (v) => {
                const url = (v as { url?: unknown } | null)?.url;
                return typeof v === "object" && v !== null && typeof url === "string" && /^https?:\/\//.test(url) ? undefined : "must be { url } with an http(s) URL";
              },
              metadata: (v) =>
                typeof v === "object" && v !== null && !Array.isArray(v) && Object.values(v).every((s) => typeof s === "string") ? undefined : "must map strings to strings",
              max_attempts: (v) => (Number.isInteger(v) && (v as number) >= 1 && (v as number) <= 100 ? undefined : "must be an integer from 1 to 100"),
            },
            ["type", "input"],
          ) as unknown as SubmitJobRequest;
          const type = jobTypes[body.type];
          if (!type) throw new ProblemError(422, "unknown_job_type", `This server has no job type "${body.type}".`);
          const ctx = context(tenant);
          const errors = type.validate?.(body.input, ctx) ?? [];
          if (errors.length > 0) {
            throw new ProblemError(422, "invalid_input", `The input does not match the input_schema of ${body.type}.`, { errors });
          }
          // A request refused by validation does not store its key; only now is the key looked at.
          const slot = key === undefined ? undefined : `${tenant}\n${key}`;
          const fingerprint = canonicalJson(body);
          const seen = slot === undefined ? undefined : keys.get(slot);
          if (seen) {
            if (seen.fingerprint !== fingerprint) {
              throw new ProblemError(422, "idempotency_key_reused", "This Idempotency-Key was used with a different request body.");
            }
            if (seen.jobId === undefined) {
              throw new ProblemError(409, "idempotency_key_in_use", "A request with this Idempotency-Key is still being processed.", {
                headers: { "retry-after": retryAfter },
              });
            }
            return answerSubmit(jobs.find(tenant, seen.jobId), wait, request, true);
          }
          const record: { fingerprint: string; jobId?: string } = { fingerprint };
          if (slot !== undefined) keys.set(slot, record);
          try {
            const run = await type.run(body.input, ctx);
            const rec = jobs.create(
              tenant,
              { type: body.type, input: body.input, metadata: body.metadata ?? {}, webhook: body.webhook ?? null, max_attempts: body.max_attempts ?? options.maxAttempts ?? 3 },
              run,
            );
            // The key stays "in flight" until this request has answered (409 for a concurrent retry).
            onDone.push(() => (record.jobId = rec.job.id));
            return await answerSubmit(rec, wait, request, false);
          } catch (e) {
            if (slot !== undefined) keys.delete(slot);
            throw e;
          }
        },
        GET({ url, tenant }) {
          const q = url.searchParams;
          const status = q.get("status");
          if (status !== null && !/^(queued|running|succeeded|failed|canceled)(,(queued|running|succeeded|failed|canceled))*$/.test(status)) {
            throw invalidRequest("status", "must be a comma-separated list of job statuses");
          }
          const type = q.get("type");
          if (type !== null && (type.length < 1 || type.length > 200)) throw invalidRequest("type", "must be 1 to 200 characters");
          const limitText = q.get("limit") ?? "20";
          const limit = /^\d+$/.test(limitText) ? Number(limitText) : NaN;
          if (!(limit >= 1 && limit <= 100)) throw invalidRequest("limit", "must be an integer from 1 to 100");
          const cursor = q.get("cursor");
          let before = Infinity;
          if (cursor !== null) {
            // Cursors carry the sequence number of the last job shown: pages never repeat or skip.
            const m = /^c(\d+)$/.exec(safeAtob(cursor));
            if (!m) throw invalidRequest("cursor", "is not a cursor this server issued");
            before = Number(m[1]);
          }
          const statuses = status?.split(",");
          const matches = jobs.records
            .filter((r) => r.tenant === tenant && r.seq < before && (!statuses || statuses.includes(r.job.status)) && (type === null || r.job.type === type))
            .reverse();
          const page = matches.slice(0, limit);
          const body: JobList = {
            data: page.map(view),
            next_cursor: matches.length > limit ? btoa(`c${page[page.length - 1]!.seq}`).replace(/=+$/, "") : null,
          };
          return json(200, body);
        },
      },
    },
    {
      pattern: /^\/v1\/jobs\/([^/]+)$/,
      auth: true,
      methods: {
        async GET({ request, tenant, params }) {
          const rec = jobs.find(tenant, params[0]!);
          const wait = preferWait(request.headers, maxWait);
          const inm = request.headers.get("if-none-match");
          const matches = () => inm !== null && inm.split(",").some((t) => t.trim().replace(/^W\//, "") === jobs.etag(rec) || t.trim() === "*");
          if (wait !== undefined) {
            // Long poll: held until the ETag differs from If-None-Match, or without one until terminal.
            await jobs.hold(() => (inm !== null ? !matches() : isTerminal(rec.job.status)), deadline(wait), request.signal);
          }
          const headers: Record<string, string> = { etag: jobs.etag(rec), "cache-control": "no-cache" };
          if (wait !== undefined) headers["preference-applied"] = `wait=${wait}`;
          if (matches()) return new HttpResponse(null, { status: 304, headers: { ...headers, "retry-after": retryAfter } });
          if (!isTerminal(rec.job.status)) headers["retry-after"] = retryAfter;
          return json(200, view(rec), headers);
        },
      },
    },
    {
      pattern: /^\/v1\/jobs\/([^/]+)\/cancel$/,
      auth: true,
      methods: {
        POST({ tenant, params }) {
          const rec = jobs.find(tenant, params[0]!);
          const status = jobs.cancel(rec);
          return json(status, view(rec), status === 202 ? { "retry-after": retryAfter } : {});
        },
      },
    },
    {
      pattern: /^\/v1\/jobs\/([^/]+)\/deliveries$/,
      auth: true,
      // The mock records events (mock.events) but does not POST them, so no attempts exist.
      methods: { GET: ({ tenant, params }) => (jobs.find(tenant, params[0]!), json(200, { data: [] })) },
    },
    {
      pattern: /^\/v1\/job-types$/,
      auth: true,
      methods: {
        GET: () => {
          const body: JobTypeList = {
            data: Object.entries(jobTypes).map(([type, t]) => ({
              type,
              description: t.description ?? type,
              // The generated type says Record<string, never> for a free-form object; any schema object is meant.
              input_schema: (t.inputSchema ?? {}) as Record<string, never>,
              result_schema: (t.resultSchema ?? {}) as Record<string, never>,
            })),
          };
          return json(200, body);
        },
      },
    },
    {
      pattern: /^\/v1\/uploads$/,
      auth: true,
      methods: {
        async POST({ request, tenant }) {
          const rec = uploads.create(tenant, await readJsonBody(request, bodyLimit));
          return json(201, uploads.view(rec), { location: `/v1/uploads/${rec.upload.id}` });
        },
      },
    },
    {
      pattern: /^\/v1\/uploads\/([^/]+)$/,
      auth: true,
      methods: {
        GET: ({ tenant, params }) => json(200, uploads.view(uploads.find(tenant, params[0]!))),
        DELETE({ tenant, params }) {
          uploads.abort(uploads.find(tenant, params[0]!));
          return new HttpResponse(null, { status: 204 });
        },
      },
    },
    {
      pattern: /^\/v1\/uploads\/([^/]+)\/part-urls$/,
      auth: true,
      methods: {
        async POST({ request, tenant, params }) {
          const rec = uploads.find(tenant, params[0]!);
          return json(200, { parts: uploads.partUrls(rec, await readJsonBody(request, bodyLimit)) });
        },
      },
    },
    {
      pattern: /^\/v1\/uploads\/([^/]+)\/complete$/,
      auth: true,
      methods: {
        async POST({ request, tenant, params }) {
          const rec = uploads.find(tenant, params[0]!);
          await uploads.complete(rec, await readJsonBody(request, bodyLimit));
          return json(200, uploads.view(rec));
        },
      },
    },
    {
      pattern: /^\/v1\/uploads\/([^/]+)\/parts\/(\d+)$/,
      auth: false,
      methods: {
        async PUT({ request, url, params }) {
          const body = new Uint8Array(await request.arrayBuffer());
          const etag = await uploads.putPart(url, params[0]!, Number(params[1]), body);
          return new HttpResponse(null, { status: 200, headers: { etag, "access-control-expose-headers": "ETag" } });
        },
      },
    },
    {
      pattern: /^\/v1\/downloads\/([^/]+)$/,
      auth: false,
      methods: { GET: ({ request, url, params }) => uploads.download(url, params[0]!, request.headers.get("range")) },
    },
  ];

  const tenantOf = (request: Request): string => {
    const m = /^Bearer\s+(\S+)$/i.exec(request.headers.get("authorization") ?? "");
    const tenant = m ? (options.tokens ? options.tokens[m[1]!] : m[1]) : undefined;
    if (tenant === undefined) {
      throw new ProblemError(401, "unauthorized", "A valid bearer token is required.", { headers: { "www-authenticate": "Bearer" } });
    }
    return tenant;
  };

  const problemResponse = (e: ProblemError) =>
    new HttpResponse(JSON.stringify(e.problem), {
      status: e.problem.status,
      headers: { "content-type": "application/problem+json", ...e.headers },
    });

  async function route(request: Request, url: URL, path: string, onDone: (() => void)[], signedOnly = false): Promise<Response> {
    try {
      scheduler.runDue();
      const match = routes.filter((r) => !signedOnly || !r.auth).map((r) => [r, r.pattern.exec(path)] as const).find(([, m]) => m);
      if (!match) throw new ProblemError(404, "not_found", `No resource at ${path}.`);
      const [r, m] = match;
      const handler = r.methods[request.method];
      if (!handler) {
        const allow = Object.keys(r.methods).join(", ");
        throw new ProblemError(405, "invalid_request", `${request.method} is not allowed on ${path}.`, { headers: { allow } });
      }
      const tenant = r.auth ? tenantOf(request) : "";
      return await handler({ request, url, tenant, params: m!.slice(1).map(decodeURIComponent), onDone });
    } catch (e) {
      if (e instanceof ProblemError) return problemResponse(e);
      // A bug in the mock (or in a custom job type) is a 500 problem, like any server fault.
      return problemResponse(new ProblemError(500, "internal", e instanceof Error ? e.message : String(e)));
    }
  }

  const handler = http.all(`${baseUrl}/*`, async ({ request }) => {
    const url = new URL(request.url);
    const path = url.pathname.slice(basePath.length);
    const requestId = request.headers.get("x-request-id") ?? `req_${requests.length + 1}`;
    const onDone: (() => void)[] = [];
    const fault = takeFault(faults, request.method, path);
    let response: Response;
    try {
      if (fault?.delayMs) await new Promise((resolve) => setTimeout(resolve, fault.delayMs));
      if (fault?.afterHandling || !(fault?.status || fault?.network)) response = await route(request, url, path, onDone);
      if (fault?.network) {
        requests.push({ method: request.method, path, status: 0 });
        return HttpResponse.error();
      }
      if (fault?.status) {
        const status = fault.status;
        response = problemResponse(
          new ProblemError(status, faultCode(fault), "Injected by the async-jobs msw mock.", {
            headers: { "retry-after": String(fault.retryAfterSeconds ?? 0) },
          }),
        );
      }
    } finally {
      for (const done of onDone) done();
    }
    response!.headers.set("x-request-id", requestId);
    requests.push({ method: request.method, path, status: response!.status });
    return response!;
  });

  // The object store's origin answers the signed URLs only (no API, no bearer token).
  const storagePath = new URL(storageUrl).pathname.replace(/\/$/, "");
  const storageHandler = http.all(`${storageUrl}/*`, async ({ request }) => {
    const url = new URL(request.url);
    const path = url.pathname.slice(storagePath.length);
    const onDone: (() => void)[] = [];
    try {
      const response = await route(request, url, path, onDone, true);
      requests.push({ method: request.method, path, status: response.status });
      return response;
    } finally {
      for (const done of onDone) done();
    }
  });

  const byId = (id: string) => {
    const rec = jobs.records.find((r) => r.job.id === id);
    if (!rec) throw new Error(`No job ${id} in the mock.`);
    return rec;
  };
  const after = () => {
    scheduler.runDue();
    jobs.notify();
  };

  return {
    handlers: storageUrl === baseUrl ? [handler] : [handler, storageHandler],
    baseUrl,
    requests,
    events,
    now: () => new Date(scheduler.now()),
    advance(ms) {
      scheduler.advance(ms);
      after();
    },
    step() {
      const next = scheduler.nextAt();
      if (next === undefined) return false;
      scheduler.skipTo(next);
      after();
      return true;
    },
    runAll() {
      for (let i = 0; i < 1_000_000 && this.step(); i++);
    },
    inject: (fault) => void faults.push(fault),
    clearFaults: () => void faults.splice(0),
    heldRequests: () => jobs.held(),
    pauseWorkers: () => jobs.pause(),
    resumeWorkers: () => jobs.resume(),
    jobs: () => [...jobs.records].reverse().map(view),
    job: (id) => {
      const rec = jobs.records.find((r) => r.job.id === id);
      return rec && view(rec);
    },
    uploads: () => uploads.all(),
    succeedJob: (id, result = {}) => (jobs.end(byId(id), { result }), after()),
    failJob: (id, error) => (jobs.end(byId(id), { error }), after()),
    setProgress: (id, percent, message = null) => (jobs.progress(byId(id), percent, message), after()),
  };
}

/**
 * The handlers alone, for the common case.
 *
 * @example
 * const server = setupServer(...createJobsHandlers({ baseUrl: "http://jobs.test" }));
 */
export function createJobsHandlers(options: JobsMockOptions = {}): HttpHandler[] {
  return createJobsMock(options).handlers;
}

function safeAtob(text: string): string {
  try {
    return atob(text);
  } catch {
    return "";
  }
}
