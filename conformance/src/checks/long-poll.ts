import { expectJob, expectStatus, isTerminal } from "../assertions.ts";
import { type Check, type CheckContext, expect, skip } from "../check.ts";
import type { HttpResponse } from "../http-recorder.ts";
import { getJob, submitEcho, waitRunning } from "../job-helpers.ts";

const TOLERANCE_MS = 300;

/** Returns M from `Preference-Applied: wait=M`, or undefined when the server did not honour it. */
function appliedWait(res: HttpResponse): number | undefined {
  const m = /(?:^|[,;\s])wait\s*=\s*"?(\d+)"?/i.exec(res.headers.get("preference-applied") ?? "");
  return m ? Number(m[1]) : undefined;
}

async function longPoll(ctx: CheckContext, id: string, headers: Record<string, string>): Promise<{ res: HttpResponse; applied: number | undefined }> {
  const res = await getJob(ctx, id, headers, { timeoutMs: 30_000 });
  expectStatus(res, [200, 304], "long poll");
  return { res, applied: appliedWait(res) };
}

/**
 * spec §2 Status, long poll (a MAY: checks hold only for servers that honour it).
 *
 * @example
 * await runConformance({ baseUrl, token, checks: longPollChecks });
 */
export const longPollChecks: Check[] = [
  {
    id: "long-poll.preference",
    clause: "§2 Status (long poll, a MAY)",
    level: "MUST",
    title: "Prefer: wait on GET is never an error; when honoured, Preference-Applied says wait=M with M <= N",
    needs: ["echo"],
    async run(ctx) {
      const { job } = await submitEcho(ctx, { duration_ms: 0 });
      const { res, applied } = await longPoll(ctx, job.id, { prefer: "wait=2" });
      expectJob(res.body, res.exchange);
      if (applied !== undefined) expect(applied <= 2, `Preference-Applied wait=${applied} exceeds the requested 2`, res.exchange);
      const big = await longPoll(ctx, job.id, { prefer: "wait=100000" });
      if (big.applied !== undefined) expect(big.applied <= 100_000, "Preference-Applied must not exceed the request", big.res.exchange);
    },
  },
  {
    id: "long-poll.until-terminal",
    clause: "§2 Status (long poll, a MAY)",
    level: "MUST",
    title: "Honoured without If-None-Match, the request is held until the job is terminal (or M seconds)",
    needs: ["echo"],
    timeoutMs: 20_000,
    async run(ctx) {
      const { job } = await submitEcho(ctx, { duration_ms: 1_200 });
      const { res, applied } = await longPoll(ctx, job.id, { prefer: "wait=5" });
      if (applied === undefined) skip("the server does not honour Prefer: wait on GET (a MAY)");
      expectStatus(res, 200, "long poll without If-None-Match");
      const read = expectJob(res.body, res.exchange);
      if (!isTerminal(read.status)) {
        expect(res.durationMs >= applied * 1000 - TOLERANCE_MS, `a long poll answered a ${read.status} job after ${res.durationMs} ms, before the job ended and before wait=${applied} elapsed`, res.exchange);
      }
    },
  },
  {
    id: "long-poll.until-change",
    clause: "§2 Status (long poll, a MAY)",
    level: "MUST",
    title: "Honoured with If-None-Match, the answer is 200 with a new ETag, or 304 only once M seconds passed",
    needs: ["echo"],
    timeoutMs: 20_000,
    async run(ctx) {
      const { job } = await submitEcho(ctx, { duration_ms: 1_500 });
      const running = await waitRunning(ctx, job.id);
      const etag = running.etag ?? '""';
      const { res, applied } = await longPoll(ctx, job.id, { prefer: "wait=4", "if-none-match": etag });
      if (applied === undefined && res.durationMs < 500) skip("the server does not honour Prefer: wait on GET (a MAY)");
      if (res.status === 200) {
        expect(res.headers.get("etag") !== etag, `a long poll answered 200 with the unchanged ETag ${etag}`, running.res.exchange, res.exchange);
      } else if (applied !== undefined) {
        expect(res.durationMs >= applied * 1000 - TOLERANCE_MS, `a long poll answered 304 after ${res.durationMs} ms, before wait=${applied} elapsed, while the job was changing`, res.exchange);
      }
    },
  },
  {
    id: "long-poll.timeout-304",
    clause: "§2 Status (long poll, a MAY)",
    level: "MUST",
    title: "Honoured on an unchanging job, the request is held about M seconds, then 304 with ETag and Retry-After",
    needs: ["echo"],
    timeoutMs: 20_000,
    async run(ctx) {
      const { job } = await submitEcho(ctx, { duration_ms: 0 });
      let done;
      for (let i = 0; i < 100; i++) {
        done = await getJob(ctx, job.id);
        if (isTerminal((done.body as { status?: string }).status)) break;
        await ctx.sleep(50, { unscaled: true });
      }
      const etag = done!.headers.get("etag") ?? '""';
      const { res, applied } = await longPoll(ctx, job.id, { prefer: "wait=1", "if-none-match": etag });
      if (applied === undefined) skip("the server does not honour Prefer: wait on GET (a MAY)");
      expectStatus(res, 304, "long poll on an unchanged terminal job");
      expect(res.durationMs >= applied * 1000 - TOLERANCE_MS, `a long poll with wait=${applied} answered 304 after ${res.durationMs} ms`, res.exchange);
      expect(res.headers.get("retry-after") !== null, "a 304 must carry Retry-After", res.exchange);
    },
  },
  {
    id: "long-poll.wakes-within-bound",
    clause: "§2 Status (long poll)",
    level: "MUST",
    title: "Honoured with If-None-Match, a held long poll answers within 2 s of a change (a progress update), not only at the end",
    needs: ["echo"],
    timeoutMs: 20_000,
    async run(ctx) {
      // Progress changes every ~2 s and the job ends after ~12 s: the next change is at most
      // 2 s away, so the answer is due within 2 s + 2 s (scaled for slow runs), well before the
      // end or wait=10; a server that waits for the end or the full wait answers after 10 s.
      const { job } = await submitEcho(ctx, { duration_ms: 12_000, progress_steps: 6 });
      const running = await waitRunning(ctx, job.id);
      const etag = running.etag ?? '""';
      const { res, applied } = await longPoll(ctx, job.id, { prefer: "wait=10", "if-none-match": etag });
      if (applied === undefined) skip("the server does not honour Prefer: wait on GET (a MAY)");
      expect(res.status === 200, `the job changes every ~2 s, yet the 10 s long poll answered ${res.status} after ${res.durationMs} ms`, running.res.exchange, res.exchange);
      expect(res.headers.get("etag") !== etag, "the long poll answered 200 with the unchanged ETag", running.res.exchange, res.exchange);
      const bound = ctx.scaled(2_000 + 2_000);
      expect(
        res.durationMs <= bound,
        `the long poll answered ${res.durationMs} ms after it started, though the job changed within ~2 s (bound ${bound} ms: 2 s after the change)`,
        running.res.exchange,
        res.exchange,
      );
    },
  },
  {
    id: "long-poll.wakes-promptly",
    clause: "§2 Status (long poll)",
    level: "SHOULD",
    title: "A held long poll answers soon after the job changes, not at the end of the wait",
    needs: ["echo"],
    timeoutMs: 20_000,
    async run(ctx) {
      const { job } = await submitEcho(ctx, { duration_ms: 800 });
      const running = await waitRunning(ctx, job.id);
      const { res, applied } = await longPoll(ctx, job.id, { prefer: "wait=10", "if-none-match": running.etag ?? '""' });
      if (applied === undefined) skip("the server does not honour Prefer: wait on GET (a MAY)");
      expect(res.status === 200, `the job ends within 1 s, yet the 10 s long poll answered ${res.status}`, res.exchange);
      expect(res.durationMs < ctx.scaled(800 + 2_000), `the long poll answered ${res.durationMs} ms after it started, though the job ended within ~800 ms`, res.exchange);
    },
  },
];
