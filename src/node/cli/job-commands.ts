import { readFile } from "node:fs/promises";
import { isJobCanceledError, isJobFailedError, isTimeoutError, NetworkError } from "../../errors.ts";
import { request } from "../../internal/request.ts";
import { isJobStatus, jobStatuses } from "../../protocol/job-state.ts";
import type { Job, JobStatus } from "../../types.ts";
import { numberOption, positional, readAll, stringOption, type CliContext } from "./cli-context.ts";
import { exitCodes, UsageError, type ExitCode } from "./exit-codes.ts";
import { createJobBar } from "./progress-bars.ts";

/** One line about a job, for people. */
export function summary(job: Job): string {
  const progress = job.progress ? ` ${job.progress.percent}%${job.progress.message ? ` (${job.progress.message})` : ""}` : "";
  return `${job.id}  ${job.type}  ${job.status}${progress}`;
}

/** The outcome of a terminal job (its result or error), or "" for any other. */
export function outcome(job: Job): string {
  if (job.status === "succeeded") return JSON.stringify(job.result, null, 2);
  if (job.status === "failed") return `error: ${job.error?.code}: ${job.error?.detail ?? job.error?.title}`;
  return "";
}

/** The summary plus the outcome of a terminal job. */
function details(job: Job): string {
  const end = outcome(job);
  return end ? `${summary(job)}\n${end}` : summary(job);
}

/**
 * `--input`: a JSON literal, `@file.json`, or `@-` for stdin.
 *
 * @example
 * await readInput(ctx, "@input.json")
 */
async function readInput(ctx: CliContext, spec: string | undefined): Promise<unknown> {
  if (spec === undefined) return {};
  const text = spec === "@-" ? (await readAll(ctx.io.stdin)).toString("utf8") : spec.startsWith("@") ? await readFile(spec.slice(1), "utf8").catch((e: Error) => {
    throw new UsageError(`cannot read ${spec.slice(1)}: ${e.message}`);
  }) : spec;
  try {
    return JSON.parse(text);
  } catch (e) {
    throw new UsageError(`--input is not JSON: ${(e as Error).message}`);
  }
}

/**
 * Waits for a job with a bar and maps its end to an exit code (shared by `submit --wait` and
 * `wait`). A server that never answers fails at once (exit 5, with the cause); one that answered
 * and then went away is retried until `--timeout`, with a note on stderr.
 */
async function waitFor(ctx: CliContext, id: string, label: string): Promise<ExitCode> {
  const timeout = numberOption(ctx, "timeout");
  ctx.resumeHint = `async-jobs wait ${id}`;
  const unreachable = new AbortController();
  const bar = ctx.track(createJobBar(label, { stream: ctx.io.stderr, enabled: !ctx.json }));
  let warned = false;
  let reported = false;
  ctx.onNetworkError = (error) => {
    if (!ctx.reached) unreachable.abort(new NetworkError("no answer", { cause: error }));
    else if (!warned) {
      warned = true;
      bar.stop();
      ctx.note(`the server stopped answering; retrying${timeout === undefined ? "" : ` until --timeout ${timeout} s`} (Ctrl-C to stop, then: ${ctx.resumeHint})`);
    }
  };
  try {
    const job = (await ctx.client().jobs.wait(id, {
      onProgress: (j) => {
        // Without a terminal there is no bar: one line says the wait has started (logs, CI).
        if (!reported && !ctx.json && !ctx.io.stderr.isTTY) ctx.note(`waiting for ${id} (${j.status})`);
        reported = true;
        bar.update(j as Job);
      },
      deadlineMs: timeout === undefined ? undefined : timeout * 1000,
      signal: unreachable.signal,
    })) as Job;
    bar.stop();
    ctx.print(job, details(job));
    return exitCodes.succeeded;
  } catch (error) {
    bar.stop();
    if (isJobFailedError(error)) {
      ctx.print(error.job, details(error.job));
      return exitCodes.failed;
    }
    if (isJobCanceledError(error)) {
      ctx.print(error.job, details(error.job));
      return exitCodes.canceled;
    }
    if (isTimeoutError(error) && !ctx.lastNetworkError) {
      const last = error.lastJob;
      ctx.print({ timed_out: true, job: last ?? null }, `timed out after ${timeout} s${last ? `: ${summary(last)}` : ""}`);
      return exitCodes.timedOut;
    }
    throw error;
  }
}

/**
 * `async-jobs submit --type T [--input JSON|@file|@-] [--wait] [--timeout S] [--idempotency-key K]
 * [--metadata k=v]… [--webhook URL] [--max-attempts N]`
 *
 * @example
 * await submitCommand(ctx) // exit code
 */
export async function submitCommand(ctx: CliContext): Promise<ExitCode> {
  if (ctx.args.length > 0) throw new UsageError(`unexpected arguments: ${ctx.args.join(" ")}`);
  const type = stringOption(ctx, "type", true);
  const input = await readInput(ctx, stringOption(ctx, "input"));
  const metadata: Record<string, string> = {};
  for (const pair of (ctx.values.metadata as string[] | undefined) ?? []) {
    const at = pair.indexOf("=");
    if (at <= 0) throw new UsageError(`--metadata takes key=value, got "${pair}"`);
    metadata[pair.slice(0, at)] = pair.slice(at + 1);
  }
  const webhook = stringOption(ctx, "webhook");
  const maxAttempts = numberOption(ctx, "max-attempts");
  const body = {
    type,
    input,
    ...(Object.keys(metadata).length > 0 ? { metadata } : {}),
    ...(webhook ? { webhook: { url: webhook } } : {}),
    ...(maxAttempts ? { max_attempts: maxAttempts } : {}),
  } as Parameters<ReturnType<CliContext["client"]>["jobs"]["submit"]>[0];
  const idempotencyKey = stringOption(ctx, "idempotency-key");
  const { job, replayed } = await ctx.client().jobs.submit(body, { idempotencyKey });
  // The id first, before any bar: whatever happens next, the job can be found again.
  const hint = `async-jobs wait ${job.id}`;
  if (ctx.values.wait === true) {
    if (!ctx.json) ctx.note(`submitted ${job.id}${replayed ? " (replayed)" : ""}; Ctrl-C stops waiting, not the job`);
    return waitFor(ctx, job.id, type);
  }
  if (ctx.json) ctx.print(job, "");
  else if (ctx.values.quiet === true || !ctx.io.stdout.isTTY) {
    // Piped (`id=$(async-jobs submit …)`) or -q: the id alone on stdout, the hint for people on stderr.
    ctx.io.stdout.write(`${job.id}\n`);
    if (ctx.values.quiet !== true) ctx.note(`wait for it: ${hint}`);
  } else ctx.print(job, `${summary(job)}${replayed ? "  (replayed)" : ""}\nwait for it: ${hint}`);
  return exitCodes.succeeded;
}

/**
 * `async-jobs wait ID [--timeout S]`: exit 0 succeeded, 1 failed, 2 canceled, 3 timed out.
 *
 * @example
 * await waitCommand(ctx)
 */
export async function waitCommand(ctx: CliContext): Promise<ExitCode> {
  const id = positional(ctx, "JOB_ID");
  return waitFor(ctx, id, id);
}

/**
 * `async-jobs get ID`: the job as it is now.
 *
 * @example
 * await getCommand(ctx)
 */
export async function getCommand(ctx: CliContext): Promise<ExitCode> {
  const job = (await ctx.client().jobs.get(positional(ctx, "JOB_ID"))) as Job;
  ctx.print(job, details(job));
  return exitCodes.succeeded;
}

/**
 * `async-jobs cancel ID`: canceled at once when queued, requested when running.
 *
 * @example
 * await cancelCommand(ctx)
 */
export async function cancelCommand(ctx: CliContext): Promise<ExitCode> {
  const job = (await ctx.client().jobs.cancel(positional(ctx, "JOB_ID"))) as Job;
  ctx.print(job, `${summary(job)}${job.status === "canceled" ? "" : "  (cancel requested)"}`);
  return exitCodes.succeeded;
}

/**
 * `async-jobs list [--status S[,S…]] [--type T] [--limit N]`: newest first, across pages.
 *
 * @example
 * await listCommand(ctx)
 */
export async function listCommand(ctx: CliContext): Promise<ExitCode> {
  if (ctx.args.length > 0) throw new UsageError(`unexpected arguments: ${ctx.args.join(" ")}`);
  const status = stringOption(ctx, "status")?.split(",");
  if (status?.some((s) => !isJobStatus(s))) throw new UsageError(`--status takes ${jobStatuses.join(",")}`);
  const limit = numberOption(ctx, "limit") ?? 20;
  const type = stringOption(ctx, "type");
  const jobs: Job[] = [];
  // `type` is any string here: the server may run types this CLI's type map does not know.
  const query = { ...(status ? { status: status as JobStatus[] } : {}), ...(type ? { type } : {}), limit: Math.min(limit, 100) };
  for await (const job of ctx.client().jobs.list(query as Parameters<ReturnType<CliContext["client"]>["jobs"]["list"]>[0])) {
    jobs.push(job as Job);
    if (jobs.length >= limit) break;
  }
  ctx.print(jobs, jobs.length === 0 ? "no jobs" : jobs.map((j) => `${summary(j)}  ${j.created_at}`).join("\n"));
  return exitCodes.succeeded;
}

/**
 * `async-jobs deliveries JOB_ID`: every webhook delivery attempt of the job, oldest first.
 *
 * @example
 * await deliveriesCommand(ctx)
 */
export async function deliveriesCommand(ctx: CliContext): Promise<ExitCode> {
  const id = positional(ctx, "JOB_ID");
  const { data } = await request(ctx.client(), (api, init) => api.GET("/v1/jobs/{id}/deliveries", { ...init, params: { path: { id } } }));
  const lines = data.data.map(
    (d) => `${d.at}  ${d.event_id}  attempt ${d.attempt}  ${d.state}  ${d.status_code ?? "-"}${d.error ? `  ${d.error}` : ""}${d.next_attempt_at ? `  next ${d.next_attempt_at}` : ""}`,
  );
  ctx.print(data.data, lines.length === 0 ? `no deliveries for ${id} (a job without a webhook, or none sent yet)` : lines.join("\n"));
  return exitCodes.succeeded;
}

/**
 * `async-jobs job-types`: the job types the server runs, with a description each (`--json`:
 * with their input and result JSON Schemas).
 *
 * @example
 * // async-jobs job-types --json > job-types.json
 */
export async function jobTypesCommand(ctx: CliContext): Promise<ExitCode> {
  const types = await ctx.client().jobs.types();
  const width = Math.max(0, ...types.map((t) => t.type.length));
  ctx.print(types, types.length === 0 ? "this server runs no job types" : types.map((t) => `${t.type.padEnd(width)}  ${t.description}`).join("\n"));
  return exitCodes.succeeded;
}
