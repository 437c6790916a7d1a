import { createProblem } from "async-jobs/protocol";
import type { Problem, ProblemFieldError } from "async-jobs/types";

/** A completed upload as a job reads it. */
export interface JobUpload {
  readonly id: string;
  readonly filename: string;
  readonly contentType: string;
  /** Bytes. */
  readonly size: number;
  /** The bytes, streamed in order (memory stays flat). */
  read(): AsyncIterable<Uint8Array>;
}

/** The uploads a job may read: completed ones of its own tenant (spec §4). */
export interface JobUploads {
  /** The completed upload of the job's tenant, or undefined (unknown, pending, other tenant). */
  open(uploadId: string): Promise<JobUpload | undefined>;
}

/** What a job's `run` gets: its input, an abort signal and ways to report back. */
export interface JobRunContext<Input = unknown> {
  /** The job's id (`job_…`). */
  readonly jobId: string;
  /** The tenant that submitted the job; file jobs look uploads up with it. */
  readonly tenant: string;
  /** The input as submitted, already valid against the type's `inputSchema`. */
  readonly input: Input;
  /** Attempt number, counting from 1 (spec §2 `attempt`). */
  readonly attempt: number;
  readonly maxAttempts: number;
  /** Aborted when the job is canceled, its lease is lost or the worker drains. `signal.reason` says which. */
  readonly signal: AbortSignal;
  /** The tenant's completed uploads, e.g. the file an import job parses. */
  readonly uploads: JobUploads;
  /**
   * Reports progress; `percent` is clamped to 0..100 and never goes down within an attempt
   * (spec §2), so a lower value is ignored.
   */
  reportProgress(percent: number, message?: string | null): Promise<void>;
  /**
   * Stops heartbeating and forgets the job without finishing it, the way a killed worker would
   * (conformance.echo's `abandon_attempts`). Only lease expiry brings the job back.
   */
  abandon(): void;
  /**
   * The W3C trace context the job was submitted in (spec §8.6), or `null`. `run` already runs
   * inside it with `@opentelemetry/api`, so the job's own spans continue the trace; this is for
   * handing it on by other means (a queue message, a subprocess).
   */
  readonly trace: { readonly traceparent: string; readonly tracestate: string | null } | null;
}

/** What `validate` gets besides the input (e.g. the tenant, to check an upload belongs to it). */
export interface JobValidateContext {
  readonly tenant: string;
}

/**
 * A job type the server runs (spec §2 "Job types"). `inputSchema` is checked by the server
 * before `validate`; `run` resolves with the result, or throws a {@link JobFailure}.
 *
 * @example
 * const upper: JobTypeDefinition<{ text: string }, { text: string }> = {
 *   type: "text.upper", description: "Upper-cases text.",
 *   inputSchema: { type: "object", required: ["text"], properties: { text: { type: "string" } } },
 *   resultSchema: { type: "object", properties: { text: { type: "string" } } },
 *   async run({ input }) { return { text: input.text.toUpperCase() }; },
 * };
 */
export interface JobTypeDefinition<Input = any, Result = unknown> {
  readonly type: string;
  readonly description: string;
  /** JSON Schema 2020-12 of `input`. */
  readonly inputSchema: Record<string, unknown>;
  /** JSON Schema 2020-12 of `result`. */
  readonly resultSchema: Record<string, unknown>;
  /**
   * Semantic check after the schema (e.g. the upload exists for this tenant and is completed).
   * Returns field errors (paths from the body root, `/input/…`) to refuse with `422 invalid_input`.
   */
  validate?(input: Input, ctx: JobValidateContext): Promise<ProblemFieldError[] | undefined | void>;
  /**
   * Replaces the server's JSON Schema check of `inputSchema` (defineJobType checks with zod).
   * Field errors with paths from the body root (`/input/…`); empty when valid.
   */
  checkInput?(input: unknown): ProblemFieldError[];
  run(ctx: JobRunContext<Input>): Promise<Result>;
  /** Attempts unless the submit sets `max_attempts`. @default the server's default */
  readonly maxAttempts?: number | undefined;
  /** Per attempt: past it the signal aborts and the attempt fails retryably with code `timeout`. */
  readonly timeoutMs?: number | undefined;
  /** At most this many jobs of this type run at once in one worker process. */
  readonly concurrency?: number | undefined;
}

/**
 * Thrown by `run` to fail the job. `retryable: true` puts it back in the queue with backoff while
 * attempts remain; otherwise the job fails for good with `problem` as its `error`.
 *
 * @example
 * throw new JobFailure({ code: "report_too_large", detail: "Over 10,000 pages." });
 */
export class JobFailure extends Error {
  readonly code: string;
  readonly retryable: boolean;
  readonly status: number;
  constructor(options: { code: string; detail: string; retryable?: boolean; status?: number; title?: string }) {
    super(options.detail);
    this.name = "JobFailure";
    this.code = options.code;
    this.retryable = options.retryable ?? false;
    this.status = options.status ?? 500;
    this.title = options.title ?? "Job failed";
  }
  readonly title: string;

  /**
   * Is this a JobFailure, also one from another copy of this package (a job-types module may
   * resolve its own)?
   */
  static is(error: unknown): error is JobFailure {
    return error instanceof JobFailure || (error instanceof Error && error.name === "JobFailure" && typeof (error as JobFailure).toProblem === "function");
  }

  /** The job's `error` (a Problem) for this failure. */
  toProblem(): Problem {
    // type follows code, also for a job type's own code (spec §7).
    return createProblem(this.code, this.message, { status: this.status, title: this.title });
  }
}
