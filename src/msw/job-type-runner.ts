import type { ProblemFieldError } from "../types.ts";
import { builtInMockJobTypes, type MockJobRun, type MockJobType } from "./mock-job-type.ts";

/**
 * A server job type as `async-jobs-server`'s `defineJobType` makes it (described by shape, so
 * the SDK depends on neither the server nor zod): the mock checks input with its `checkInput`
 * and runs its real `run`.
 *
 * @example
 * createJobsMock({ jobTypes: [wordCount] }) // wordCount = defineJobType({ … })
 */
export interface RunnableJobType {
  readonly type: string;
  readonly description: string;
  readonly inputSchema: Record<string, unknown>;
  readonly resultSchema: Record<string, unknown>;
  /** Field errors from the body root (`/input/…`); the server's schema check. */
  checkInput?(input: unknown): ProblemFieldError[];
  run(ctx: {
    jobId: string;
    tenant: string;
    input: unknown;
    attempt: number;
    maxAttempts: number;
    signal: AbortSignal;
    uploads: { open(uploadId: string): Promise<MockUpload | undefined> };
    reportProgress(percent: number, message?: string | null): Promise<void>;
    abandon(): void;
    /** Always `null` in the mock: it keeps no trace context (spec §8.6 is an optional extension). */
    trace: { readonly traceparent: string; readonly tracestate: string | null } | null;
  }): Promise<unknown>;
}

/** A completed upload of the mock as a server job type reads it. */
interface MockUpload {
  id: string;
  filename: string;
  contentType: string;
  size: number;
  read(): AsyncIterable<Uint8Array>;
}

/** What `createJobsMock({ jobTypes })` takes: mock job types by name, or an array of server job types. */
export type MockJobTypesOption = Record<string, MockJobType> | readonly RunnableJobType[];

/**
 * A mock job type that runs a server job type's `run` once at submit (one attempt, no timeout)
 * and plays its progress reports and its result or failure back in the mock's virtual time.
 *
 * @example
 * const mock = createJobsMock({ jobTypes: { "text.wordcount": runJobType(wordCount) } });
 */
export function runJobType(definition: RunnableJobType): MockJobType {
  return {
    description: definition.description,
    inputSchema: definition.inputSchema,
    resultSchema: definition.resultSchema,
    validate: (input) => definition.checkInput?.(input) ?? [],
    async run(input, ctx): Promise<MockJobRun> {
      const messages: (string | null)[] = [];
      try {
        const result = await definition.run({
          jobId: "job_mock",
          tenant: "mock",
          input,
          attempt: 1,
          maxAttempts: 1,
          signal: new AbortController().signal,
          uploads: {
            async open(uploadId) {
              const bytes = ctx.upload(uploadId);
              if (!bytes) return undefined;
              // The mock keeps bytes only; name and type are not simulated.
              return { id: uploadId, filename: "", contentType: "application/octet-stream", size: bytes.length, read: async function* () { yield bytes; } };
            },
          },
          reportProgress: async (_percent, message) => void messages.push(message ?? null),
          trace: null,
          abandon: () => {},
        });
        return { progressSteps: messages.length, progressMessage: (i) => messages[i - 1] ?? null, result };
      } catch (error) {
        // A JobFailure carries the job's error code; anything else is the server's `internal`.
        const code = typeof (error as { code?: unknown }).code === "string" ? (error as { code: string }).code : "internal";
        return { error: { code, message: error instanceof Error ? error.message : String(error) } };
      }
    },
  };
}

/**
 * The mock's job types for its `jobTypes` option: an array of server job types runs beside the
 * built-in mock types; a record of mock job types is used as it is.
 *
 * @example
 * toMockJobTypes([wordCount]) // { ...builtInMockJobTypes, "text.wordcount": runJobType(wordCount) }
 */
export function toMockJobTypes(option: MockJobTypesOption | undefined): Record<string, MockJobType> {
  if (option === undefined) return builtInMockJobTypes;
  if (!Array.isArray(option)) return option as Record<string, MockJobType>;
  return { ...builtInMockJobTypes, ...Object.fromEntries((option as readonly RunnableJobType[]).map((d) => [d.type, runJobType(d)])) };
}
