import type { EchoInput, Job, SubmitJobRequest } from "async-jobs/types";
import { expectJob, expectStatus, isTerminal } from "./assertions.ts";
import { type CheckContext, expect, setup, skip } from "./check.ts";
import type { HttpResponse } from "./http-recorder.ts";

/** One reading of a job while observing it. */
export interface Observation {
  readonly at: number;
  readonly job: Job;
  readonly etag: string | null;
  readonly res: HttpResponse;
}

/**
 * POSTs /v1/jobs and returns the raw answer.
 *
 * @example
 * const res = await submitJob(ctx, { type: "conformance.echo", input: {} });
 */
export function submitJob(
  ctx: CheckContext,
  body: SubmitJobRequest | Record<string, unknown>,
  opts: { headers?: Record<string, string>; token?: string | null; timeoutMs?: number } = {},
): Promise<HttpResponse> {
  return ctx.http.request("POST", "/v1/jobs", { json: body, ...opts });
}

/**
 * Submits a `conformance.echo` job and fails unless it is accepted (202, or 200 when a wait was asked).
 *
 * @example
 * const { job } = await submitEcho(ctx, { duration_ms: 500, progress_steps: 4 });
 */
export async function submitEcho(
  ctx: CheckContext,
  input: EchoInput,
  extra: Partial<SubmitJobRequest> & { headers?: Record<string, string>; token?: string } = {},
): Promise<{ res: HttpResponse; job: Job }> {
  const { headers, token, ...rest } = extra;
  const res = await submitJob(ctx, { type: "conformance.echo", input, ...rest }, { headers, token });
  // The checks that test the submit itself (submit.accepted) call submitJob; here it is setup.
  return setup("submit conformance.echo", () => {
    expectStatus(res, headers?.prefer || headers?.Prefer ? [200, 202] : 202, "submit conformance.echo");
    return { res, job: expectJob(res.body, res.exchange, "submitted job") };
  });
}

/**
 * GETs /v1/jobs/{id}.
 *
 * @example
 * const res = await getJob(ctx, id, { "if-none-match": etag });
 */
export function getJob(
  ctx: CheckContext,
  id: string,
  headers: Record<string, string> = {},
  opts: { token?: string; timeoutMs?: number } = {},
): Promise<HttpResponse> {
  return ctx.http.request("GET", `/v1/jobs/${encodeURIComponent(id)}`, { headers, ...opts });
}

/**
 * Polls a job until `until` holds (default: terminal), recording every reading.
 *
 * @example
 * const seen = await observeJob(ctx, id, { intervalMs: 50, timeoutMs: 10_000 });
 */
export async function observeJob(
  ctx: CheckContext,
  id: string,
  opts: { intervalMs?: number; timeoutMs?: number; until?: (job: Job) => boolean; onTimeout?: "fail" | "skip" | "return" } = {},
): Promise<Observation[]> {
  const until = opts.until ?? ((job: Job) => isTerminal(job.status));
  const deadline = Date.now() + ctx.scaled(opts.timeoutMs ?? 10_000);
  const seen: Observation[] = [];
  for (;;) {
    const res = await getJob(ctx, id);
    expectStatus(res, 200, `GET /v1/jobs/${id}`);
    const job = expectJob(res.body, res.exchange);
    seen.push({ at: Date.now(), job, etag: res.headers.get("etag"), res });
    if (until(job)) return seen;
    if (Date.now() > deadline) {
      const last = seen.at(-1)!;
      const message = `job ${id} did not reach the awaited state within ${ctx.scaled(opts.timeoutMs ?? 10_000)} ms (last status ${last.job.status}, attempt ${last.job.attempt})`;
      if (opts.onTimeout === "skip") skip(message);
      if (opts.onTimeout === "return") return seen;
      expect(false, message, last.res.exchange);
    }
    await ctx.sleep(opts.intervalMs ?? 50, { unscaled: true });
  }
}

/**
 * Waits for a job to end and returns its terminal reading.
 *
 * @example
 * const done = await waitTerminal(ctx, id);
 */
export async function waitTerminal(ctx: CheckContext, id: string, timeoutMs = 10_000): Promise<Observation> {
  const seen = await observeJob(ctx, id, { intervalMs: 50, timeoutMs });
  return seen.at(-1)!;
}

/**
 * Waits until the job runs (status running), failing if it ends first.
 *
 * @example
 * await waitRunning(ctx, id);
 */
export async function waitRunning(ctx: CheckContext, id: string, timeoutMs = 10_000): Promise<Observation> {
  const seen = await observeJob(ctx, id, { intervalMs: 25, timeoutMs, until: (j) => j.status !== "queued" });
  const last = seen.at(-1)!;
  expect(last.job.status === "running", `job ${id} was expected to be running, it is ${last.job.status}`, last.res.exchange);
  return last;
}

/**
 * Submits an echo job with a webhook to `url`, skipping the check if the server refuses the
 * receiver's URL (a server may refuse private addresses, spec §3).
 *
 * @example
 * const { job } = await submitWithWebhook(ctx, route.url, { duration_ms: 0 });
 */
export async function submitWithWebhook(ctx: CheckContext, url: string, input: EchoInput, events?: string[]): Promise<{ res: HttpResponse; job: Job }> {
  const res = await submitJob(ctx, { type: "conformance.echo", input, webhook: events ? { url, events } : { url } });
  if (res.status === 422 && (res.body as { code?: string } | undefined)?.code === "invalid_webhook_url") {
    skip(`the server refuses the receiver URL ${url} (invalid_webhook_url); run it with private webhooks allowed or pass --webhook-public-url`);
  }
  expectStatus(res, 202, "submit with webhook");
  return { res, job: expectJob(res.body, res.exchange, "submitted job") };
}
