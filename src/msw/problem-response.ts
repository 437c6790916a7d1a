import type { Problem, ProblemCode, ProblemFieldError } from "../types.ts";

const titles: Partial<Record<ProblemCode, string>> = {
  unauthorized: "Unauthorized",
  not_found: "Not found",
  malformed_json: "Malformed JSON",
  unsupported_media_type: "Unsupported media type",
  payload_too_large: "Payload too large",
  invalid_request: "Invalid request",
  unknown_job_type: "Unknown job type",
  invalid_input: "Invalid input",
  idempotency_key_reused: "Idempotency key reused",
  idempotency_key_in_use: "Idempotency key in use",
  job_already_terminal: "Job already terminal",
  rate_limited: "Rate limited",
  overloaded: "Overloaded",
  url_expired: "URL expired",
  invalid_signature: "Invalid signature",
  size_mismatch: "Size mismatch",
  upload_incomplete: "Upload incomplete",
  invalid_part: "Invalid part",
  checksum_mismatch: "Checksum mismatch",
  upload_not_pending: "Upload not pending",
  attempts_exhausted: "Attempts exhausted",
  job_failed: "Job failed",
  internal: "Internal error",
};

/**
 * Builds an RFC 9457 problem with the contract's stable `code` (spec §1, §7).
 *
 * @example
 * problem(404, "not_found", "No job job_1.")
 */
export function problem(
  status: number,
  code: ProblemCode | (string & {}),
  detail: string,
  errors?: ProblemFieldError[],
): Problem {
  return {
    type: `https://async-jobs.dev/problems/${code}`,
    title: titles[code as ProblemCode] ?? code,
    status,
    detail,
    code,
    ...(errors ? { errors } : {}),
  };
}

/**
 * A thrown problem: handlers throw it and the router answers it as `application/problem+json`.
 *
 * @example
 * throw new ProblemError(409, "upload_not_pending", "Upload upl_1 is completed.")
 */
export class ProblemError extends Error {
  readonly problem: Problem;
  readonly headers: Record<string, string>;
  constructor(
    status: number,
    code: ProblemCode | (string & {}),
    detail: string,
    init: { errors?: ProblemFieldError[]; headers?: Record<string, string> } = {},
  ) {
    super(detail);
    this.problem = problem(status, code, detail, init.errors);
    this.headers = init.headers ?? {};
  }
}

/**
 * Shorthand for `400 invalid_request` with one field error (spec §1).
 *
 * @example
 * throw invalidRequest("/limit", "must be between 1 and 100")
 */
export function invalidRequest(path: string, message: string): ProblemError {
  return new ProblemError(400, "invalid_request", "The request does not match the schema.", {
    errors: [{ path, message }],
  });
}
