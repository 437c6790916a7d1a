import { expectJob, expectProblem, expectRetryAfter, expectStatus, jsonEqual } from "../assertions.ts";
import { type Check, expect } from "../check.ts";
import type { HttpResponse } from "../http-recorder.ts";
import { getJob, submitEcho, waitRunning, waitTerminal } from "../job-helpers.ts";

function cancel(ctx: Parameters<Check["run"]>[0], id: string): Promise<HttpResponse> {
  return ctx.http.request("POST", `/v1/jobs/${encodeURIComponent(id)}/cancel`);
}

/**
 * spec §2 Cancel.
 *
 * @example
 * await runConformance({ baseUrl, token, checks: cancelChecks });
 */
export const cancelChecks: Check[] = [
  {
    id: "cancel.queued-or-running",
    clause: "§2 Cancel",
    level: "MUST",
    title: "Cancel right after submit: 200 canceled (queued) or 202 cancel_requested (running)",
    needs: ["echo"],
    async run(ctx) {
      const { job } = await submitEcho(ctx, { duration_ms: 30_000 });
      const res = await cancel(ctx, job.id);
      expectStatus(res, [200, 202], "cancel a new job");
      const body = expectJob(res.body, res.exchange);
      if (res.status === 200) {
        expect(body.status === "canceled", `a 200 cancel must show status canceled, got ${body.status}`, res.exchange);
        const read = await getJob(ctx, job.id);
        expect((read.body as { status?: string }).status === "canceled", "a job canceled while queued must stay canceled", read.exchange);
      } else {
        expect(body.cancel_requested === true, "a 202 cancel must show cancel_requested true", res.exchange);
        expectRetryAfter(res, "cancel 202");
      }
    },
  },
  {
    id: "cancel.running",
    clause: "§2 Cancel",
    level: "MUST",
    title: "Cancel a running job: 202 with cancel_requested true and Retry-After, then it ends canceled",
    needs: ["echo"],
    timeoutMs: 20_000,
    async run(ctx) {
      const { job } = await submitEcho(ctx, { duration_ms: 30_000, progress_steps: 30 });
      await waitRunning(ctx, job.id);
      const res = await cancel(ctx, job.id);
      expectStatus(res, 202, "cancel a running job");
      const body = expectJob(res.body, res.exchange);
      expect(body.cancel_requested === true, "a 202 cancel must show cancel_requested true", res.exchange);
      expectRetryAfter(res, "cancel 202");
      const done = await waitTerminal(ctx, job.id, 10_000);
      expect(done.job.status === "canceled", `a running job asked to cancel must end canceled (its worker sees an abort signal), got ${done.job.status}`, done.res.exchange);
      expect(done.job.cancel_requested === true, "a canceled job keeps cancel_requested true", done.res.exchange);
    },
  },
  {
    id: "cancel.idempotent",
    clause: "§2 Cancel",
    level: "MUST",
    title: "Canceling a canceled job again is 200",
    needs: ["echo"],
    timeoutMs: 20_000,
    async run(ctx) {
      const { job } = await submitEcho(ctx, { duration_ms: 30_000 });
      await cancel(ctx, job.id);
      const done = await waitTerminal(ctx, job.id, 10_000);
      expect(done.job.status === "canceled", `expected canceled, got ${done.job.status}`, done.res.exchange);
      const again = await cancel(ctx, job.id);
      expectStatus(again, 200, "cancel a canceled job");
      expect(expectJob(again.body, again.exchange).status === "canceled", "the answer shows the canceled job", again.exchange);
    },
  },
  {
    id: "cancel.terminal-conflict",
    clause: "§2 Cancel",
    level: "MUST",
    title: "Canceling a succeeded or failed job is 409 job_already_terminal and changes nothing",
    needs: ["echo"],
    async run(ctx) {
      const ok = await submitEcho(ctx, { duration_ms: 0 });
      const bad = await submitEcho(ctx, { fail: { code: "conformance_failure", message: "x" } }, { max_attempts: 1 });
      for (const { job } of [ok, bad]) {
        const before = await waitTerminal(ctx, job.id);
        const res = await cancel(ctx, job.id);
        expectProblem(res, 409, "job_already_terminal", `cancel a ${before.job.status} job`);
        const after = await getJob(ctx, job.id);
        expect(jsonEqual(after.body, before.job), "canceling a terminal job changed it", before.res.exchange, after.exchange);
      }
    },
  },
  {
    id: "cancel.not-found",
    clause: "§2 Cancel, §1 Errors",
    level: "MUST",
    title: "Canceling an unknown job is 404 not_found",
    needs: [],
    async run(ctx) {
      expectProblem(await cancel(ctx, "job_conformance_unknown_0000"), 404, "not_found", "cancel an unknown job");
    },
  },
];
