import { createProblem, problemRegistry } from "async-jobs/protocol";
import type { Problem, ProblemCode, ProblemFieldError } from "async-jobs/types";

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
 * A refusal that the HTTP layer answers as RFC 9457 problem+json; statuses and titles come from
 * the protocol's one registry (spec §7). Handlers throw it; the error handler renders it.
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
    this.status = options.status ?? problemRegistry[code].status;
    this.headers = options.headers ?? {};
  }

  /** The problem+json body. */
  toProblem(): Problem {
    return createProblem(this.code, this.detail, { status: this.status, title: this.options.title, errors: this.options.errors });
  }
}
