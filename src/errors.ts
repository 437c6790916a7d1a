import type { Job, Problem, ProblemCode } from "./types.ts";
import { problemType } from "./protocol/problem-registry.ts";

/** Codes the SDK itself gives an `ApiError`: `unexpected_response` for an answer that is not problem+json. */
export type SdkProblemCode = "unexpected_response";

/**
 * Base of every error the SDK throws. Branch on `code` (the contract's stable problem code)
 * or use the `isX` guards, which also work across realms (they check `name`, not only
 * `instanceof`).
 *
 * @example
 * try { await client.jobs.submit(req) } catch (e) { if (isAsyncJobsError(e)) log(e.message) }
 */
export class AsyncJobsError extends Error {
  override name = "AsyncJobsError";
}

/**
 * The server answered with an RFC 9457 problem (any non-2xx status).
 *
 * @example
 * if (isApiError(e, "invalid_input")) showFieldErrors(e.problem.errors)
 */
export class ApiError extends AsyncJobsError {
  override name = "ApiError";
  /** HTTP status of the response. */
  declare readonly status: number;
  /** Stable problem code (spec §7); `"unexpected_response"` when the body was not a problem (a proxy's page). */
  declare readonly code: ProblemCode | SdkProblemCode | (string & {});
  /** The problem+json body as the server sent it. */
  declare readonly problem: Problem;
  /** The response's `X-Request-Id`, to quote in a support ticket. */
  declare readonly requestId: string | undefined;
  /** `Retry-After` in milliseconds, when the server sent one. */
  declare readonly retryAfterMs: number | undefined;
  /** The server's `RateLimit`/`RateLimit-Policy` on this answer, when it sent them (spec §1). */
  declare readonly rateLimit: RateLimitInfo | undefined;

  constructor(init: {
    status: number;
    problem: Problem;
    requestId?: string | undefined;
    retryAfterMs?: number | undefined;
    rateLimit?: RateLimitInfo | undefined;
  }) {
    super(`${init.status} ${init.problem.code}: ${init.problem.detail || init.problem.title}`);
    this.status = init.status;
    this.code = init.problem.code;
    this.problem = init.problem;
    this.requestId = init.requestId;
    this.retryAfterMs = init.retryAfterMs;
    this.rateLimit = init.rateLimit;
  }
}

/**
 * A server's rate limit as its `RateLimit` and `RateLimit-Policy` fields say it
 * (draft-ietf-httpapi-ratelimit-headers). `Retry-After` still decides when to retry.
 *
 * @example
 * if (isApiError(e, "rate_limited")) console.warn(`${e.rateLimit?.remaining} left, reset in ${e.rateLimit?.resetSeconds} s`)
 */
export interface RateLimitInfo {
  /** The policy's name (`"submit"` on the reference server). */
  policy: string;
  /** Quota units left in the window (`r`). */
  remaining: number;
  /** Seconds until the window resets (`t`), when sent. */
  resetSeconds?: number;
  /** Units per window (`q` of `RateLimit-Policy`), when sent. */
  quota?: number;
  /** The window in seconds (`w` of `RateLimit-Policy`), when sent. */
  windowSeconds?: number;
}

/**
 * The request never got an HTTP answer: DNS, connection refused or reset, TLS, or a
 * per-attempt timeout.
 *
 * @example
 * if (isNetworkError(e)) console.warn("offline?", e.cause)
 */
export class NetworkError extends AsyncJobsError {
  override name = "NetworkError";
}

/**
 * A wait passed its deadline. `lastJob` is the last state seen, so the caller can decide
 * to keep waiting later (awaitJob simply resumes with the same id).
 *
 * @example
 * if (isTimeoutError(e)) saveForLater(e.lastJob?.id)
 */
export class TimeoutError extends AsyncJobsError {
  override name = "TimeoutError";
  declare readonly lastJob: Job | undefined;
  constructor(message: string, lastJob?: Job) {
    super(message);
    this.lastJob = lastJob;
  }
}

/**
 * The job ended `failed`. `problem` is the job's `error` (its `code` is the job's own
 * failure code, e.g. `attempts_exhausted`).
 *
 * @example
 * if (isJobFailedError(e)) report(e.job.id, e.problem.code)
 */
export class JobFailedError extends AsyncJobsError {
  override name = "JobFailedError";
  declare readonly job: Job;
  declare readonly problem: Problem;
  constructor(job: Job) {
    // A failed job carries its `error` (spec §2.8); for a server that sent none, the registry's
    // `job_failed` (type and code are one-to-one, spec §7).
    const problem: Problem = job.error ?? { type: problemType("job_failed"), title: "Job failed", status: 500, code: "job_failed" };
    super(`Job ${job.id} failed: ${problem.code}: ${problem.detail || problem.title}`);
    this.job = job;
    this.problem = problem;
  }
}

/**
 * The job ended `canceled` (by this client or anyone else).
 *
 * @example
 * if (isJobCanceledError(e)) console.info("canceled", e.job.id)
 */
export class JobCanceledError extends AsyncJobsError {
  override name = "JobCanceledError";
  declare readonly job: Job;
  constructor(job: Job) {
    super(`Job ${job.id} was canceled`);
    this.job = job;
  }
}

/** One problem a schema found: what, and where (`/result/url`). */
export interface ValidationIssue {
  message: string;
  /** JSON Pointer into the job (`/result/pages/0`). */
  path: string;
}

/**
 * A job's `result` (or, before sending, its `input`) broke the schema given to
 * `createClient({ jobTypes })`: the server and this app disagree on the job type.
 *
 * @example
 * if (isResultValidationError(e)) log(e.jobId, e.issues) // [{ path: "/result/url", message: "Required" }]
 */
export class ResultValidationError extends AsyncJobsError {
  override name = "ResultValidationError";
  /** The job's id; `undefined` for an input refused before it was sent. */
  declare readonly jobId: string | undefined;
  declare readonly issues: ValidationIssue[];
  constructor(jobId: string | undefined, issues: ValidationIssue[]) {
    const what = jobId ? `The result of job ${jobId}` : "The input";
    super(`${what} does not match its schema: ${issues.map((i) => `${i.path || "/"} ${i.message}`).join("; ")}`);
    this.jobId = jobId;
    this.issues = issues;
  }
}

/** Why a webhook was refused; each maps to one check of the Standard Webhooks scheme. */
export type WebhookVerificationReason =
  | "missing_header"
  | "invalid_secret"
  | "no_matching_signature"
  | "timestamp_too_old"
  | "timestamp_too_new"
  | "invalid_payload";

/**
 * A webhook request failed verification. Answer it with 400 and do not act on it.
 *
 * @example
 * if (isWebhookVerificationError(e)) return new Response(e.reason, { status: 400 })
 */
export class WebhookVerificationError extends AsyncJobsError {
  override name = "WebhookVerificationError";
  declare readonly reason: WebhookVerificationReason;
  constructor(reason: WebhookVerificationReason, message: string) {
    super(message);
    this.reason = reason;
  }
}

function hasName(e: unknown, name: string): boolean {
  return (e as { name?: unknown } | null | undefined)?.name === name;
}

/** A type guard that also knows the class by name, so it holds across two copies of the SDK. */
function errorGuard<E extends Error>(type: abstract new (...args: never[]) => E, name: string): (e: unknown) => e is E {
  return (e: unknown): e is E => e instanceof type || hasName(e, name);
}

/** True for any error thrown by this SDK. @example if (isAsyncJobsError(e)) … */
export function isAsyncJobsError(e: unknown): e is AsyncJobsError {
  return (
    e instanceof AsyncJobsError ||
    [
      "AsyncJobsError",
      "ApiError",
      "NetworkError",
      "TimeoutError",
      "JobFailedError",
      "JobCanceledError",
      "ResultValidationError",
      "WebhookVerificationError",
    ].some((name) => hasName(e, name))
  );
}

/**
 * True for an `ApiError`, optionally with the given problem code.
 *
 * @example
 * if (isApiError(e, "idempotency_key_reused")) pickNewKey()
 */
export function isApiError<C extends ProblemCode | SdkProblemCode>(
  e: unknown,
  code?: C,
): e is ApiError & { code: C } {
  if (!(e instanceof ApiError || hasName(e, "ApiError"))) return false;
  return code === undefined || (e as ApiError).code === code;
}

/** @example if (isNetworkError(e)) retryLater() */
export const isNetworkError = /* @__PURE__ */ errorGuard(NetworkError, "NetworkError");

/** @example if (isTimeoutError(e)) resumeLater(e.lastJob) */
export const isTimeoutError = /* @__PURE__ */ errorGuard(TimeoutError, "TimeoutError");

/** @example if (isJobFailedError(e)) console.error(e.problem) */
export const isJobFailedError = /* @__PURE__ */ errorGuard(JobFailedError, "JobFailedError");

/** @example if (isJobCanceledError(e)) return */
export const isJobCanceledError = /* @__PURE__ */ errorGuard(JobCanceledError, "JobCanceledError");

/** @example if (isResultValidationError(e)) console.error(e.issues) */
export const isResultValidationError = /* @__PURE__ */ errorGuard(ResultValidationError, "ResultValidationError");

/** @example if (isWebhookVerificationError(e)) return badRequest(e.reason) */
export const isWebhookVerificationError = /* @__PURE__ */ errorGuard(WebhookVerificationError, "WebhookVerificationError");
