import type { Problem, ProblemCode, ProblemFieldError } from "../types.ts";

/** Status and title of one stable problem code. */
export interface ProblemEntry {
  readonly status: number;
  readonly title: string;
}

/**
 * Every stable problem code (spec §7) with its HTTP status and title. Typed over the contract's
 * `ProblemCode`, so a code added to openapi.yaml does not compile until it is here.
 *
 * @example
 * problemRegistry.not_found.status // 404
 */
export const problemRegistry: Readonly<Record<ProblemCode, ProblemEntry>> = {
  unauthorized: { status: 401, title: "Unauthorized" },
  not_found: { status: 404, title: "Not found" },
  malformed_json: { status: 400, title: "Malformed JSON" },
  unsupported_media_type: { status: 415, title: "Unsupported media type" },
  payload_too_large: { status: 413, title: "Payload too large" },
  invalid_request: { status: 400, title: "Invalid request" },
  unknown_job_type: { status: 422, title: "Unknown job type" },
  invalid_input: { status: 422, title: "Invalid input" },
  invalid_webhook_url: { status: 422, title: "Invalid webhook URL" },
  idempotency_key_reused: { status: 422, title: "Idempotency key reused" },
  idempotency_key_in_use: { status: 409, title: "Idempotency key in use" },
  job_already_terminal: { status: 409, title: "Job already terminal" },
  rate_limited: { status: 429, title: "Rate limited" },
  overloaded: { status: 503, title: "Overloaded" },
  url_expired: { status: 403, title: "URL expired" },
  invalid_signature: { status: 403, title: "Invalid signature" },
  size_mismatch: { status: 400, title: "Size mismatch" },
  upload_incomplete: { status: 422, title: "Upload incomplete" },
  invalid_part: { status: 422, title: "Invalid part" },
  checksum_mismatch: { status: 422, title: "Checksum mismatch" },
  upload_not_pending: { status: 409, title: "Upload not pending" },
  attempts_exhausted: { status: 500, title: "Attempts exhausted" },
  job_failed: { status: 500, title: "Job failed" },
  internal: { status: 500, title: "Internal error" },
};

/**
 * Is this one of the registry's codes (not a job type's own failure code)?
 *
 * @example
 * isProblemCode("not_found") // true
 * isProblemCode("report_too_large") // false
 */
export function isProblemCode(code: string): code is ProblemCode {
  return Object.hasOwn(problemRegistry, code);
}

/**
 * The `type` URI of a problem. `type` and `code` are one-to-one (spec §7): a failed job's error
 * with a job-type-specific code gets that code's URI too, never `…/job_failed`.
 *
 * @example
 * problemType("report_too_large") // "https://async-jobs.dev/problems/report_too_large"
 */
export function problemType(code: string): string {
  return `https://async-jobs.dev/problems/${code}`;
}

/** What may differ from the registry in one occurrence of a problem. */
export interface ProblemInit {
  /** Overrides the registry's status (405 or 416 with `invalid_request`, an injected fault). */
  status?: number | undefined;
  /** Overrides the registry's title. */
  title?: string | undefined;
  errors?: ProblemFieldError[] | undefined;
}

/**
 * An RFC 9457 problem for a code (spec §1, §7). A registry code takes its status and title from
 * {@link problemRegistry}; a job type's own code (a failed job's `error`) defaults to
 * `500 Job failed`.
 *
 * @example
 * createProblem("not_found", "No job job_1.") // { type: ".../not_found", title: "Not found", status: 404, ... }
 */
export function createProblem(code: ProblemCode | (string & {}), detail: string, init: ProblemInit = {}): Problem {
  const entry = isProblemCode(code) ? problemRegistry[code] : problemRegistry.job_failed;
  return {
    type: problemType(code),
    title: init.title ?? entry.title,
    status: init.status ?? entry.status,
    detail,
    code,
    ...(init.errors ? { errors: init.errors } : {}),
  };
}
