import { createProblem } from "../protocol/problem-registry.ts";
import type { Problem, ProblemCode, ProblemFieldError } from "../types.ts";

/** What may differ from the registry in one refusal, plus its extra headers. */
export interface ProblemErrorInit {
  /** Overrides the registry's status (405, 416, an injected fault). */
  status?: number;
  title?: string;
  errors?: ProblemFieldError[];
  headers?: Record<string, string>;
}

/**
 * A thrown problem: route handlers throw it and the mock answers it as
 * `application/problem+json`, status and title from the protocol's registry (spec §1, §7).
 *
 * @example
 * throw new ProblemError("upload_not_pending", "Upload upl_1 is completed.")
 */
export class ProblemError extends Error {
  readonly problem: Problem;
  readonly headers: Record<string, string>;
  constructor(code: ProblemCode | (string & {}), detail: string, init: ProblemErrorInit = {}) {
    super(detail);
    this.problem = createProblem(code, detail, init);
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
  return new ProblemError("invalid_request", "The request does not match the schema.", { errors: [{ path, message }] });
}

/**
 * The problem+json response of a refusal.
 *
 * @example
 * return problemResponse(new ProblemError("not_found", "No job job_1."))
 */
export function problemResponse(error: ProblemError): Response {
  return new Response(JSON.stringify(error.problem), {
    status: error.problem.status,
    headers: { "content-type": "application/problem+json", ...error.headers },
  });
}
