import type { Problem, ProblemCode, ProblemFieldError } from "async-jobs/types";

/**
 * Every stable problem code (spec §7) with its HTTP status and title. Typed over the
 * contract's `ProblemCode`, so a code added to openapi.yaml does not compile until it is here.
 *
 * @example
 * PROBLEMS.not_found.status; // 404
 */
export const PROBLEMS: Record<ProblemCode, { status: number; title: string }> = {
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

/** Options of one problem occurrence. */
export interface ProblemOptions {
  /** Overrides the registry's status (e.g. 405 or 416 with `invalid_request`). */
  status?: number;
  title?: string;
  errors?: ProblemFieldError[];
  /** Extra response headers (`Retry-After`, `Allow`, `WWW-Authenticate`). */
  headers?: Record<string, string>;
}

/**
 * A refusal that the HTTP layer answers as RFC 9457 problem+json. Handlers throw it; the
 * error handler renders it.
 *
 * @example
 * throw new ProblemError("not_found", `No job ${id}.`);
 */
export class ProblemError extends Error {
  override readonly name = "ProblemError";
  readonly status: number;
  readonly headers: Record<string, string>;
  constructor(
    readonly code: ProblemCode,
    readonly detail: string,
    readonly options: ProblemOptions = {},
  ) {
    super(detail);
    this.status = options.status ?? PROBLEMS[code].status;
    this.headers = options.headers ?? {};
  }

  /** The problem+json body. */
  toProblem(): Problem {
    return {
      type: `https://async-jobs.dev/problems/${this.code}`,
      title: this.options.title ?? PROBLEMS[this.code].title,
      status: this.status,
      detail: this.detail,
      code: this.code,
      ...(this.options.errors ? { errors: this.options.errors } : {}),
    };
  }
}
