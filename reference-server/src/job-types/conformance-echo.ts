import { setTimeout as delay } from "node:timers/promises";
import * as z from "zod";
import { defineJobType } from "./define-job-type.ts";
import { JobFailure } from "./job-type-definition.ts";

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
export const conformanceEcho = defineJobType({
  type: "conformance.echo",
  description:
    "Echoes `value` after `duration_ms`, with `progress_steps` progress updates; can fail, fail retryably or abandon attempts (for conformance tests).",
  input: z.strictObject({
    value: z.unknown().optional(),
    duration_ms: z.number().int().min(0).max(600000).optional(),
    progress_steps: z.number().int().min(0).max(100).optional(),
    fail: z.object({ code: z.string().min(1), message: z.string() }).optional(),
    fail_attempts: z.number().int().min(0).optional(),
    abandon_attempts: z.number().int().min(0).max(100).optional(),
  }),
  result: z.object({ value: z.unknown().optional() }),
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
});
