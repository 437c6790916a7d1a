import { setTimeout as delay } from "node:timers/promises";
import type { EchoInput, EchoResult } from "async-jobs/types";
import { JobFailure, type JobTypeDefinition } from "./job-type-definition.ts";

/** Resolves after `ms`, or rejects with the signal's reason when it aborts first. */
const sleep = (ms: number, signal: AbortSignal): Promise<void> =>
  delay(ms, undefined, { signal }).catch((error: unknown) => {
    throw signal.aborted ? signal.reason : error;
  });

/**
 * `conformance.echo`, with spec §2's exact semantics: progress update i of n at
 * i·duration/n with `floor(100·i/n)`; attempt k ≤ `abandon_attempts` is abandoned like a killed
 * worker would; else k ≤ `fail_attempts` fails retryably; else `fail` fails for good; else `{ value }`.
 *
 * @example
 * createJobTypeRegistry([conformanceEcho]);
 */
export const conformanceEcho: JobTypeDefinition<EchoInput, EchoResult> = {
  type: "conformance.echo",
  description:
    "Echoes `value` after `duration_ms`, with `progress_steps` progress updates; can fail, fail retryably or abandon attempts (for conformance tests).",
  inputSchema: {
    $schema: "https://json-schema.org/draft/2020-12/schema",
    type: "object",
    properties: {
      value: {},
      duration_ms: { type: "integer", minimum: 0, maximum: 600000 },
      progress_steps: { type: "integer", minimum: 0, maximum: 100 },
      fail: {
        type: "object",
        required: ["code", "message"],
        properties: { code: { type: "string", minLength: 1 }, message: { type: "string" } },
      },
      fail_attempts: { type: "integer", minimum: 0 },
      abandon_attempts: { type: "integer", minimum: 0, maximum: 100 },
    },
    additionalProperties: false,
  },
  resultSchema: {
    $schema: "https://json-schema.org/draft/2020-12/schema",
    type: "object",
    properties: { value: {} },
  },
  async run(ctx) {
    const { input, attempt, signal } = ctx;
    if (attempt <= (input.abandon_attempts ?? 0)) {
      ctx.abandon();
      // Never finishes: only lease expiry brings the job back. The worker's abort frees the promise.
      await new Promise<never>((_, reject) => signal.addEventListener("abort", () => reject(signal.reason), { once: true }));
    }
    const duration = input.duration_ms ?? 0;
    const steps = input.progress_steps ?? 0;
    let elapsed = 0;
    for (let i = 1; i <= steps; i++) {
      const at = Math.floor((i * duration) / steps);
      if (at > elapsed) await sleep(at - elapsed, signal);
      elapsed = at;
      await ctx.reportProgress(Math.floor((100 * i) / steps), `step ${i} of ${steps}`);
    }
    if (duration > elapsed) await sleep(duration - elapsed, signal);
    if (attempt <= (input.fail_attempts ?? 0)) {
      throw new JobFailure({ code: "job_failed", detail: `Attempt ${attempt} failed (fail_attempts).`, retryable: true });
    }
    if (input.fail) throw new JobFailure({ code: input.fail.code, detail: input.fail.message });
    return "value" in input ? { value: input.value } : {};
  },
};
