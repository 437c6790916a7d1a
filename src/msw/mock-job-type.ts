import type { Download, ProblemFieldError } from "../types.ts";
import { fieldErrors, integerIn, type FieldCheck } from "./check-body.ts";
import { sha256Hex } from "./sha256-hex.ts";

/**
 * How one job of a mock job type plays out, attempt by attempt, in virtual time. It follows
 * `conformance.echo`'s rules (spec §2): attempt k is abandoned (the lease expires) while
 * k ≤ `abandonAttempts`, fails retryably while k ≤ `failAttempts`, then fails for good with
 * `error` if given, else succeeds with `result`.
 *
 * @example
 * const run: MockJobRun = { durationMs: 3000, progressSteps: 3, result: { url: "https://x/r.pdf" } };
 */
export interface MockJobRun {
  /** Virtual milliseconds from an attempt's start to its end. @default 0 */
  durationMs?: number;
  /** Evenly spaced progress updates over the duration. @default 0 */
  progressSteps?: number;
  /** The message of progress update `i` of `n`. @default `step i of n` */
  progressMessage?: (i: number, n: number) => string | null;
  /** Attempts that lose their lease and never finish. @default 0 */
  abandonAttempts?: number;
  /** Attempts that fail retryably. @default 0 */
  failAttempts?: number;
  /** The result when the job succeeds. @default {} */
  result?: unknown;
  /** Makes the job fail for good with this code (the job's `error.code`). */
  error?: { code: string; message?: string };
}

/**
 * What a mock job type can reach: completed uploads of the submitting tenant, and a way to
 * publish output bytes behind a presigned download URL served by the mock.
 *
 * @example
 * const bytes = ctx.upload(input.upload_id);
 */
export interface MockJobContext {
  /** The bytes of a completed upload of this tenant, or undefined. */
  upload(id: unknown): Uint8Array<ArrayBuffer> | undefined;
  /** Stores bytes and returns a presigned, Range-capable download of them. */
  publish(bytes: Uint8Array<ArrayBuffer>): Download;
  /** Virtual duration of the built-in file jobs. */
  readonly fileJobDurationMs: number;
}

/**
 * A job type the mock runs. Give your own to `createJobsMock({ jobTypes })` to test code that
 * submits them.
 *
 * @example
 * const render: MockJobType = {
 *   validate: (input) => (typeof (input as { pages?: unknown }).pages === "number" ? [] : [{ path: "/input/pages", message: "must be a number" }]),
 *   run: () => ({ durationMs: 5000, progressSteps: 5, result: { url: "https://cdn.example/r.pdf" } }),
 * };
 */
export interface MockJobType {
  /** @default the type name */
  description?: string;
  /** Served by `GET /v1/job-types`. @default {} */
  inputSchema?: Record<string, unknown>;
  /** Served by `GET /v1/job-types`. @default {} */
  resultSchema?: Record<string, unknown>;
  /** Field errors (paths from the body root, e.g. `/input/pages`); none means valid (`422 invalid_input` otherwise). */
  validate?(input: unknown, ctx: MockJobContext): ProblemFieldError[];
  /** Plans the job when it is submitted. */
  run(input: unknown, ctx: MockJobContext): MockJobRun | Promise<MockJobRun>;
}

const nonEmptyString: FieldCheck = (v) => (typeof v === "string" && v.length > 0 ? undefined : "must be a non-empty string");

const uploadInput = (extra: Record<string, FieldCheck>) => (input: unknown, ctx: MockJobContext) => {
  const errors = fieldErrors(input, { upload_id: nonEmptyString, ...extra }, ["upload_id"], "/input");
  // A job refers to a completed upload of the same tenant; anything else is invalid_input (spec §4).
  if (errors.length === 0 && !ctx.upload((input as { upload_id: unknown }).upload_id)) {
    errors.push({ path: "/input/upload_id", message: "must name a completed upload" });
  }
  return errors;
};

const uploadIdSchema = { type: "object", required: ["upload_id"], properties: { upload_id: { type: "string", minLength: 1 } } };
const byteProgress = (size: number) => (i: number, n: number) => `${Math.floor((size * i) / n)} of ${size} bytes`;

/**
 * The reference server's three job types, simulated (spec §2).
 *
 * @example
 * createJobsMock({ jobTypes: { ...builtInMockJobTypes, "report.render": render } })
 */
export const builtInMockJobTypes: Record<string, MockJobType> = {
  "conformance.echo": {
    description: "Echoes its input's value after duration_ms, with progress_steps updates; fails or abandons attempts on request.",
    inputSchema: {
      type: "object",
      properties: {
        value: {},
        duration_ms: { type: "integer", minimum: 0, maximum: 600000 },
        progress_steps: { type: "integer", minimum: 0, maximum: 100 },
        fail: { type: "object", required: ["code", "message"], properties: { code: { type: "string", minLength: 1 }, message: { type: "string" } } },
        fail_attempts: { type: "integer", minimum: 0 },
        abandon_attempts: { type: "integer", minimum: 0, maximum: 100 },
      },
      additionalProperties: false,
    },
    resultSchema: { type: "object", properties: { value: {} } },
    validate: (input) =>
      fieldErrors(input, {
        value: () => undefined,
        duration_ms: integerIn(0, 600000),
        progress_steps: integerIn(0, 100),
        fail: (v) => {
          const f = v as { code?: unknown; message?: unknown } | null;
          return typeof f === "object" && f !== null && typeof f.code === "string" && f.code.length > 0 && typeof f.message === "string"
            ? undefined
            : "must be { code, message }";
        },
        fail_attempts: integerIn(0),
        abandon_attempts: integerIn(0, 100),
      }, [], "/input"),
    run: (input) => {
      const i = input as { value?: unknown; duration_ms?: number; progress_steps?: number; fail?: { code: string; message: string }; fail_attempts?: number; abandon_attempts?: number };
      return {
        durationMs: i.duration_ms ?? 0,
        progressSteps: i.progress_steps ?? 0,
        failAttempts: i.fail_attempts ?? 0,
        abandonAttempts: i.abandon_attempts ?? 0,
        ...(i.fail ? { error: i.fail } : {}),
        result: "value" in i ? { value: i.value } : {},
      };
    },
  },
  "file.checksum": {
    description: "SHA-256 and size of a completed upload, streamed with progress by bytes.",
    inputSchema: { ...uploadIdSchema, properties: { ...uploadIdSchema.properties, algorithm: { enum: ["sha256"] } }, additionalProperties: false },
    resultSchema: { type: "object", required: ["sha256", "size"], properties: { sha256: { type: "string" }, size: { type: "integer" } } },
    validate: uploadInput({ algorithm: (v) => (v === "sha256" ? undefined : 'must be "sha256"') }),
    run: async (input, ctx) => {
      const bytes = ctx.upload((input as { upload_id: string }).upload_id)!;
      return {
        durationMs: ctx.fileJobDurationMs,
        progressSteps: 10,
        progressMessage: byteProgress(bytes.length),
        result: { sha256: await sha256Hex(bytes), size: bytes.length },
      };
    },
  },
  "file.gzip": {
    description: "Gzips a completed upload; the result has a presigned, Range-capable download URL.",
    inputSchema: { ...uploadIdSchema, additionalProperties: false },
    resultSchema: { type: "object", required: ["size", "gzip_size", "download"], properties: { size: { type: "integer" }, gzip_size: { type: "integer" }, download: { type: "object" } } },
    validate: uploadInput({}),
    run: async (input, ctx) => {
      const bytes = ctx.upload((input as { upload_id: string }).upload_id)!;
      const gz = new Uint8Array(await new Response(new Blob([bytes]).stream().pipeThrough(new CompressionStream("gzip"))).arrayBuffer());
      return {
        durationMs: ctx.fileJobDurationMs,
        progressSteps: 10,
        progressMessage: byteProgress(bytes.length),
        result: { size: bytes.length, gzip_size: gz.length, download: ctx.publish(gz) },
      };
    },
  },
};
