import { NetworkError } from "../../errors.ts";
import type { Job } from "../../types.ts";
import { numberOption, positional, type CliContext } from "./cli-context.ts";
import { exitCodes, type ExitCode } from "./exit-codes.ts";
import { outcome, summary } from "./job-commands.ts";

/** The exit code of a terminal job: what `wait` answers for the same outcome. */
const outcomeCodes = { succeeded: exitCodes.succeeded, failed: exitCodes.failed, canceled: exitCodes.canceled } as const;

/**
 * `async-jobs watch JOB_ID [--timeout S]`: one line per change of the job (status, progress) as
 * the server streams it (spec §8.2; long polls where it does not), ending at the terminal state
 * with the exit code `wait` uses for it. `--json`: each Job as one JSON line (JSON Lines).
 *
 * @example
 * // async-jobs watch job_123 --json | jq -r .progress.percent
 * await watchCommand(ctx)
 */
export async function watchCommand(ctx: CliContext): Promise<ExitCode> {
  const id = positional(ctx, "JOB_ID");
  const timeout = numberOption(ctx, "timeout");
  ctx.resumeHint = `async-jobs watch ${id}`;
  const stop = new AbortController();
  const timer = timeout === undefined ? undefined : setTimeout(() => stop.abort(new TimedOut()), timeout * 1000);
  // A server that never answered fails at once (exit 5); one that went away is retried by the watch.
  ctx.onNetworkError = (error) => {
    if (!ctx.reached) stop.abort(new NetworkError("no answer", { cause: error }));
  };
  let last: Job | undefined;
  try {
    for await (const job of ctx.client().jobs.watch(id, { signal: stop.signal })) {
      last = job as Job;
      ctx.io.stdout.write(ctx.json ? `${JSON.stringify(job)}\n` : `${new Date().toISOString()}  ${summary(last)}\n`);
    }
  } catch (error) {
    if (!(error instanceof TimedOut)) throw error;
    ctx.note(`timed out after ${timeout} s${last ? `: ${summary(last)}` : ""}`);
    return exitCodes.timedOut;
  } finally {
    clearTimeout(timer);
  }
  // The watch ends only after the terminal state; its outcome is the exit code.
  if (!ctx.json && outcome(last!)) ctx.io.stdout.write(`${outcome(last!)}\n`);
  return outcomeCodes[last!.status as keyof typeof outcomeCodes];
}

class TimedOut extends Error {}
