import type { ProblemFieldError } from "async-jobs/types";
import * as z from "zod";
import { JobFailure, type JobRunContext, type JobTypeDefinition, type JobValidateContext } from "./job-type-definition.ts";

/**
 * What {@link defineJobType} takes: a job type described by two zod schemas and a `run`.
 *
 * @example
 * const options: ZodJobTypeOptions<"text.upper", typeof input, typeof result> = { type: "text.upper", … };
 */
export interface ZodJobTypeOptions<TType extends string, TInput extends z.ZodType, TResult extends z.ZodType> {
  /** The job type's name, e.g. `text.wordcount` (spec §2 "Job types"). */
  type: TType;
  description: string;
  /** Checked at submit: a mismatch is `422 invalid_input` with `errors[].path` from the body root (`/input/text`). */
  input: TInput;
  /** Checked when `run` resolves: a mismatch fails the attempt with code `invalid_result`, for good. */
  result: TResult;
  /** Attempts of a job of this type unless the submit sets `max_attempts`. @default the server's default (3) */
  maxAttempts?: number;
  /** Time one attempt may take; past it the signal aborts and the attempt fails retryably with code `timeout`. */
  timeoutMs?: number;
  /** At most this many jobs of this type run at once in one worker process. */
  concurrency?: number;
  /** Semantic check after the schema (e.g. a referenced record exists). Paths from the body root. */
  validate?(input: z.output<TInput>, ctx: JobValidateContext): Promise<ProblemFieldError[] | undefined | void>;
  /** Does the work; resolves with the result, or throws a {@link JobFailure}. */
  run(ctx: JobRunContext<z.output<TInput>>): Promise<z.input<TResult>>;
}

/**
 * A job type made by {@link defineJobType}: a {@link JobTypeDefinition} whose JSON Schemas come
 * from zod, carrying the client-side types for `JobTypesOf`.
 */
export interface DefinedJobType<TType extends string = string, TInput = unknown, TResult = unknown, TParsed = TInput>
  extends JobTypeDefinition<TParsed, TResult> {
  readonly type: TType;
  /** Type-only: what a client sends and gets back (never set at run time). */
  readonly "~types"?: { input: TInput; result: TResult };
}

/** A JSON Pointer (RFC 6901) under `prefix` for a zod issue path. */
export function toPointer(prefix: string, path: readonly PropertyKey[]): string {
  return prefix + path.map((token) => `/${String(token).replace(/~/g, "~0").replace(/\//g, "~1")}`).join("");
}

/** zod issues as contract field errors under `prefix` (spec §7 `errors[]`). */
export function zodFieldErrors(error: z.ZodError, prefix: string): ProblemFieldError[] {
  return error.issues.flatMap((issue) =>
    // An unknown key is reported at the key itself, as JSON Schema validators do.
    issue.code === "unrecognized_keys"
      ? issue.keys.map((key) => ({ path: toPointer(prefix, [...issue.path, key]), message: "is not allowed" }))
      : [{ path: toPointer(prefix, issue.path), message: issue.message }],
  );
}

/**
 * Defines a job type with zod 4 schemas: the input is validated at submit, the result when
 * `run` resolves, and `GET /v1/job-types` lists both as JSON Schema 2020-12 made by
 * `z.toJSONSchema` (zod's own conversion).
 *
 * @example
 * import { defineJobType } from "async-jobs-server";
 * import * as z from "zod";
 * export const wordCount = defineJobType({
 *   type: "text.wordcount",
 *   description: "Counts the words of a text.",
 *   input: z.object({ text: z.string().max(1_000_000) }),
 *   result: z.object({ words: z.number().int() }),
 *   timeoutMs: 60_000,
 *   async run({ input }) { return { words: input.text.split(/\s+/).filter(Boolean).length }; },
 * });
 */
export function defineJobType<const TType extends string, TInput extends z.ZodType, TResult extends z.ZodType>(
  options: ZodJobTypeOptions<TType, TInput, TResult>,
): DefinedJobType<TType, z.input<TInput>, z.output<TResult>, z.output<TInput>> {
  const { input: inputSchema, result: resultSchema } = options;
  return {
    type: options.type,
    description: options.description,
    // `io` picks the side a client sees: what it may send, what it gets back.
    inputSchema: z.toJSONSchema(inputSchema, { target: "draft-2020-12", io: "input", unrepresentable: "any" }) as Record<string, unknown>,
    resultSchema: z.toJSONSchema(resultSchema, { target: "draft-2020-12", io: "output", unrepresentable: "any" }) as Record<string, unknown>,
    maxAttempts: options.maxAttempts,
    timeoutMs: options.timeoutMs,
    concurrency: options.concurrency,
    checkInput(input) {
      const parsed = inputSchema.safeParse(input);
      return parsed.success ? [] : zodFieldErrors(parsed.error, "/input");
    },
    validate: options.validate && ((input, ctx) => options.validate!(inputSchema.parse(input) as z.output<TInput>, ctx)),
    async run(ctx) {
      // The stored input passed the schema at submit; parsing again applies defaults and transforms.
      const input = inputSchema.parse(ctx.input) as z.output<TInput>;
      const value = await options.run({ ...ctx, input });
      const checked = resultSchema.safeParse(value);
      if (!checked.success) {
        const where = zodFieldErrors(checked.error, "").map((e) => `${e.path || "/"}: ${e.message}`).join("; ");
        throw new JobFailure({ code: "invalid_result", title: "Invalid result", detail: `The result of ${options.type} breaks its result schema: ${where}` });
      }
      return checked.data as z.output<TResult>;
    },
  };
}
