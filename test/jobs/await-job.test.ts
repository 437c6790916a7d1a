import { http, HttpResponse } from "msw";
import { afterEach, beforeAll, beforeEach, describe, expect, it, vi } from "vitest";
import { awaitJob, createBaseClient, isApiError, isJobCanceledError, isJobFailedError, isTimeoutError, type RetryClock } from "async-jobs/jobs";
import { createHandlerFetch } from "../helpers/handler-fetch.ts";
import { makeJob, problem, testBaseUrl as base } from "../helpers/job-fixture.ts";
import { jobTimeline } from "../helpers/msw-job-timeline.ts";

// awaitJob against a scripted job (msw + fake timers): long poll honoured and ignored, 304s,
// backoff growth and reset, progress de-duplication, every outcome, abort and deadline.
// msw handlers reach the client through ClientOptions.fetch: no global fetch is patched.
const server = createHandlerFetch();
afterEach(() => {
  server.resetHandlers();
  vi.useRealTimers();
  vi.restoreAllMocks();
});
// The SDK loads its problem and RateLimit parsers on the first error answer (a real module load,
// which fake time would overtake): load them before time is faked.
beforeAll(() => import("../../src/internal/error-details.ts"));
beforeEach(() => {
  vi.useFakeTimers({ toFake: ["setTimeout", "clearTimeout", "Date"] });
  vi.spyOn(Math, "random").mockReturnValue(0.5);
});

const client = createBaseClient({ baseUrl: base, token: "t", fetch: server.fetch });
const succeededAt = (at: number) => ({ at, patch: { status: "succeeded", result: { value: 1 }, completed_at: "x" } });

/** Captures how and when a promise settles, without advancing time. */
function capture<T>(promise: Promise<T>) {
  const state: { value?: T; error?: unknown; at: number; done: boolean } = { at: -1, done: false };
  promise.then(
    (value) => Object.assign(state, { value, at: Date.now(), done: true }),
    (error: unknown) => Object.assign(state, { error, at: Date.now(), done: true }),
  );
  return state;
}

async function settle<T>(promise: Promise<T>, ms: number): Promise<{ value?: T; error?: unknown; at: number }> {
  let at = -1;
  const out = promise.then(
    (value) => ((at = Date.now()), { value }),
    (error: unknown) => ((at = Date.now()), { error }),
  );
  await vi.advanceTimersByTimeAsync(ms);
  return { ...(await out), at };
}

describe("awaitJob with a server that honours Prefer: wait", () => {
  it("without onProgress: long polls held until the end; resolves the moment the job ends", async () => {
    const t = jobTimeline([{ at: 0, patch: {} }, { at: 5000, patch: { status: "running" } }, succeededAt(30_000)], { longPoll: true });
    server.use(t.handler);
    const r = await settle(awaitJob(client, "job_1"), 60_000);
    expect(r.value).toMatchObject({ status: "succeeded", result: { value: 1 } });
    expect(r.at - t.start).toBe(30_000);
    expect(t.seen.map((s) => s.prefer)).toEqual(["wait=20", "wait=20"]);
    expect(t.seen.map((s) => s.at - t.start)).toEqual([0, 20_000]);
  });

  it("with onProgress: one plain GET for the ETag, then If-None-Match long polls, one callback per change", async () => {
    const t = jobTimeline(
      [
        { at: 0, patch: {} },
        { at: 5000, patch: { status: "running", attempt: 1 } },
        { at: 12_000, patch: { progress: { percent: 50, message: null } } },
        succeededAt(30_000),
      ],
      { longPoll: true },
    );
    server.use(t.handler);
    const progress: unknown[] = [];
    const r = await settle(awaitJob(client, "job_1", { onProgress: (j) => progress.push([j.status, j.progress?.percent]) }), 60_000);
    expect(r.value?.status).toBe("succeeded");
    expect(r.at - t.start).toBe(30_000);
    expect(progress).toEqual([["queued", undefined], ["running", undefined], ["running", 50], ["succeeded", 50]]);
    expect(t.seen.map((s) => [s.at - t.start, s.prefer, s.ifNoneMatch])).toEqual([
      [0, null, null],
      [0, "wait=20", '"0"'],
      [5000, "wait=20", '"1"'],
      [12_000, "wait=20", '"2"'],
    ]);
  });

  it("re-polls at once after a long poll that ended with 304, never sleeping", async () => {
    const t = jobTimeline([{ at: 0, patch: {} }, succeededAt(50_000)], { longPoll: true, waitCap: 20 });
    server.use(t.handler);
    const progress: string[] = [];
    const r = await settle(awaitJob(client, "job_1", { onProgress: (j) => progress.push(j.status) }), 60_000);
    expect(r.at - t.start).toBe(50_000);
    expect(t.seen.map((s) => [s.at - t.start, s.status])).toEqual([[0, 200], [0, 304], [20_000, 304], [40_000, 200]]);
    expect(progress).toEqual(["queued", "succeeded"]);
  });

  it("asks for at most the time left before the deadline", async () => {
    const t = jobTimeline([{ at: 0, patch: {} }], { longPoll: true });
    server.use(t.handler);
    const r = await settle(awaitJob(client, "job_1", { deadlineMs: 25_000 }), 60_000);
    expect(isTimeoutError(r.error)).toBe(true);
    expect(t.seen.map((s) => s.prefer)).toEqual(["wait=20", "wait=5"]);
  });
});

describe("awaitJob with a server that ignores Prefer: wait (plain polling)", () => {
  it("polls with If-None-Match after the server's Retry-After, then decorrelated jitter, reset on change", async () => {
    const t = jobTimeline(
      [{ at: 0, patch: {} }, { at: 6000, patch: { status: "running" } }, succeededAt(9000)],
      { longPoll: false, retryAfter: 2 },
    );
    server.use(t.handler);
    const r = await settle(awaitJob(client, "job_1"), 60_000);
    expect(r.value?.status).toBe("succeeded");
    const gaps = t.seen.slice(1).map((s, i) => s.at - t.seen[i]!.at);
    // Retry-After (2 s) after a change; then Math.random = 0.5 draws from [previous, 1.1 ×
    // previous): 2100, 2205; the change seen at 6305 restarts from 2000. Never sooner than asked.
    expect(gaps).toEqual([2000, 2100, 2205, 2000, 2100]);
    expect(t.seen.map((s) => s.status)).toEqual([200, 304, 304, 200, 304, 200]);
    expect(t.seen[0]!.prefer).toBe("wait=20");
    expect(t.seen.slice(1).every((s) => s.prefer === null)).toBe(true);
    expect(t.seen.slice(1).every((s) => s.ifNoneMatch !== null)).toBe(true);
  });

  /** A job that never ends, `304` to every conditional read, `Retry-After` per read (seconds). */
  function runningForever(retryAfterS: (read: number) => number | undefined) {
    let reads = 0;
    server.use(
      http.get(`${base}/v1/jobs/job_1`, ({ request }) => {
        const s = retryAfterS(++reads);
        const headers: Record<string, string> = s === undefined ? { etag: '"a"' } : { etag: '"a"', "retry-after": String(s) };
        return request.headers.get("if-none-match") === '"a"'
          ? new HttpResponse(null, { status: 304, headers })
          : HttpResponse.json(makeJob({ status: "running" }), { headers });
      }),
    );
  }

  /** The gaps between the reads of a wait that runs until its deadline. */
  async function gapsUntil(deadlineMs: number, poll?: { factor?: number; maxMs?: number }, on = client) {
    const seen: number[] = [];
    const stop = server.onRequest(() => seen.push(Date.now()));
    await settle(awaitJob(on, "job_1", { deadlineMs, poll }).catch(() => undefined), deadlineMs);
    stop();
    return seen.slice(1).map((s, i) => s - seen[i]!);
  }

  it("starts at 1 s without a Retry-After hint and caps the interval at poll.maxMs", async () => {
    runningForever(() => undefined);
    const gaps = await gapsUntil(200_000, { maxMs: 5_000 });
    // 1000, then previous + 0.5 × (1.1 × previous − previous) …, capped at poll.maxMs.
    expect(gaps.slice(0, 3)).toEqual([1000, 1050, 1102]);
    expect(Math.max(...gaps)).toBe(5_000);
  });

  it("never drops back: the previous wait is the floor of the next draw", async () => {
    // The client's clock draws near the top of the range twice, then at its bottom.
    const draws = [0.999, 0.999];
    const clock: RetryClock = {
      now: () => Date.now(),
      random: () => draws.shift() ?? 0,
      sleep: (ms, signal) =>
        new Promise((resolve, reject) => {
          const timer = setTimeout(resolve, ms);
          signal?.addEventListener("abort", () => (clearTimeout(timer), reject(signal.reason)), { once: true });
        }),
    };
    runningForever(() => 1);
    const gaps = await gapsUntil(20_000, { factor: 2 }, createBaseClient({ baseUrl: base, token: "t", fetch: server.fetch, clock }));
    // 1000 (Retry-After), then draws from [previous, 2 × previous]: 1999, 3996, then the
    // bottom of the range: the last wait again, not the 1 s base the AWS formula drops to.
    expect(gaps.slice(0, 6)).toEqual([1000, 1999, 3996, 3996, 3996, 3996]);
  });

  it("a Retry-After above poll.maxMs is still honoured: no poll sooner than the server asked", async () => {
    runningForever(() => 10);
    const gaps = await gapsUntil(65_000, { maxMs: 5_000 });
    expect(gaps).toEqual([10_000, 10_000, 10_000, 10_000, 10_000, 10_000]);
  });

  it("a new Retry-After restarts the schedule from it (the server's suggested interval, spec §1.9)", async () => {
    runningForever((read) => (read <= 3 ? 3 : 1));
    const gaps = await gapsUntil(12_000);
    // 3 s, then × 1.05 twice (Math.random = 0.5); the fourth read says 1 s: 1 s, then 1.05 s.
    expect(gaps.slice(0, 5)).toEqual([3000, 3150, 3307, 1000, 1050]);
  });

  it("de-duplicates progress when the server ignores If-None-Match (same state twice → one call)", async () => {
    let n = 0;
    server.use(
      http.get(`${base}/v1/jobs/job_1`, () => {
        n++;
        const job = n < 3 ? makeJob({ status: "running" }) : makeJob({ status: "succeeded", updated_at: "2026-11-23T10:00:09Z" });
        return HttpResponse.json(job);
      }),
    );
    const calls: string[] = [];
    const r = await settle(awaitJob(client, "job_1", { onProgress: (j) => calls.push(j.status), waitSeconds: 0 }), 60_000);
    expect(r.value?.status).toBe("succeeded");
    expect(n).toBe(3);
    expect(calls).toEqual(["running", "succeeded"]);
  });
});

describe("awaitJob outcomes", () => {
  it("throws JobFailedError with the job and its problem", async () => {
    const error = problem(500, "boom");
    server.use(http.get(`${base}/v1/jobs/job_1`, () => HttpResponse.json(makeJob({ status: "failed", error }))));
    const r = await settle(awaitJob(client, "job_1"), 1000);
    expect(isJobFailedError(r.error)).toBe(true);
    expect(r.error).toMatchObject({ job: { id: "job_1", status: "failed" }, problem: { code: "boom" } });
  });

  it("throws JobCanceledError with the job", async () => {
    server.use(http.get(`${base}/v1/jobs/job_1`, () => HttpResponse.json(makeJob({ status: "canceled" }))));
    const r = await settle(awaitJob(client, "job_1"), 1000);
    expect(isJobCanceledError(r.error)).toBe(true);
    expect(r.error).toMatchObject({ job: { status: "canceled" } });
  });

  it("throws TimeoutError at the deadline with the last job seen, cancelling the in-flight request", async () => {
    const signals: AbortSignal[] = [];
    server.use(
      http.get(`${base}/v1/jobs/job_1`, ({ request }) => {
        signals.push(request.signal);
        if (signals.length === 1) return HttpResponse.json(makeJob({ status: "running", progress: { percent: 10, message: null } }), { headers: { etag: '"1"' } });
        return new Promise<Response>(() => {}); // a server that never answers
      }),
    );
    const start = Date.now();
    const r = await settle(awaitJob(client, "job_1", { deadlineMs: 5_000, onProgress: () => {} }), 60_000);
    expect(isTimeoutError(r.error)).toBe(true);
    expect(r.at - start).toBe(5_000);
    expect(r.error).toMatchObject({ lastJob: { status: "running", progress: { percent: 10 } } });
    expect(signals).toHaveLength(2);
    expect(signals[1]!.aborted).toBe(true);
  });

  it("keeps waiting through network loss, 5xx and 429 until the job ends (no deadline reached)", async () => {
    let n = 0;
    server.use(
      http.get(`${base}/v1/jobs/job_1`, () => {
        n++;
        if (Date.now() - start < 20_000) {
          if (n % 3 === 0) return HttpResponse.error();
          if (n % 3 === 1) return HttpResponse.json(problem(503, "overloaded"), { status: 503, headers: { "retry-after": "1" } });
          return HttpResponse.json(problem(429, "rate_limited"), { status: 429 });
        }
        return HttpResponse.json(makeJob({ status: "succeeded", result: { value: 1 } }));
      }),
    );
    const start = Date.now();
    const r = await settle(awaitJob(client, "job_1", { deadlineMs: 60_000 }), 60_000);
    expect(r.value?.status).toBe("succeeded");
    expect(n).toBeGreaterThan(5);
  });

  it("throws a non-transient ApiError (404) at once", async () => {
    server.use(http.get(`${base}/v1/jobs/job_1`, () => HttpResponse.json(problem(404, "not_found"), { status: 404 })));
    const r = await settle(awaitJob(client, "job_1"), 1000);
    expect(isApiError(r.error, "not_found")).toBe(true);
  });
});

describe("awaitJob abort", () => {
  it("rejects at once when the signal is already aborted, without a request", async () => {
    const t = jobTimeline([{ at: 0, patch: {} }]);
    server.use(t.handler);
    const r = await settle(awaitJob(client, "job_1", { signal: AbortSignal.abort(new Error("gone")) }), 10);
    expect(r.error).toMatchObject({ message: "gone" });
    expect(t.seen).toHaveLength(0);
  });

  it("aborts a held long poll within the same tick and cancels the in-flight request", async () => {
    const t = jobTimeline([{ at: 0, patch: {} }], { longPoll: true });
    server.use(t.handler);
    const controller = new AbortController();
    const r = capture(awaitJob(client, "job_1", { signal: controller.signal }));
    await vi.advanceTimersByTimeAsync(1000);
    controller.abort(new Error("user"));
    await vi.advanceTimersByTimeAsync(0);
    expect(r.done).toBe(true);
    expect(r.error).toMatchObject({ message: "user" });
    expect(r.at - t.start).toBe(1000);
    expect(t.seen[0]!.aborted()).toBe(true);
  });

  it("aborts during a polling sleep", async () => {
    const t = jobTimeline([{ at: 0, patch: {} }], { longPoll: false, retryAfter: 10 });
    server.use(t.handler);
    const controller = new AbortController();
    const r = capture(awaitJob(client, "job_1", { signal: controller.signal }));
    await vi.advanceTimersByTimeAsync(2000);
    controller.abort(new Error("user"));
    await vi.advanceTimersByTimeAsync(0);
    expect(r.error).toMatchObject({ message: "user" });
    expect(r.at - t.start).toBe(2000);
    expect(t.seen).toHaveLength(1);
  });

  it("aborts during a transient-failure backoff", async () => {
    server.use(http.get(`${base}/v1/jobs/job_1`, () => HttpResponse.json(problem(503, "overloaded"), { status: 503, headers: { "retry-after": "30" } })));
    const controller = new AbortController();
    const start = Date.now();
    const r = capture(awaitJob(client, "job_1", { signal: controller.signal }));
    await vi.advanceTimersByTimeAsync(1000);
    controller.abort(new Error("user"));
    await vi.advanceTimersByTimeAsync(0);
    expect(r.error).toMatchObject({ message: "user" });
    expect(r.at - start).toBe(1000);
  });

  it("cancelOnAbort also cancels the job on the server", async () => {
    const t = jobTimeline([{ at: 0, patch: { status: "running" } }], { longPoll: true });
    const cancels: string[] = [];
    server.use(
      t.handler,
      http.post(`${base}/v1/jobs/job_1/cancel`, ({ request }) => {
        cancels.push(request.headers.get("authorization") ?? "");
        return HttpResponse.json(makeJob({ status: "running", cancel_requested: true }), { status: 202 });
      }),
    );
    const controller = new AbortController();
    const r = capture(awaitJob(client, "job_1", { signal: controller.signal, cancelOnAbort: true }));
    await vi.advanceTimersByTimeAsync(100);
    controller.abort();
    await vi.advanceTimersByTimeAsync(10);
    expect((r.error as Error).name).toBe("AbortError");
    expect(cancels).toEqual(["Bearer t"]);
  });

  it("without cancelOnAbort the job is left alone; a new awaitJob with the id resumes", async () => {
    const t = jobTimeline([{ at: 0, patch: { status: "running" } }, succeededAt(10_000)], { longPoll: true });
    let cancels = 0;
    server.use(t.handler, http.post(`${base}/v1/jobs/job_1/cancel`, () => ((cancels += 1), HttpResponse.json(makeJob()))));
    const controller = new AbortController();
    const first = capture(awaitJob(client, "job_1", { signal: controller.signal }));
    await vi.advanceTimersByTimeAsync(50);
    controller.abort();
    await vi.advanceTimersByTimeAsync(0);
    expect((first.error as Error).name).toBe("AbortError");
    const r = await settle(awaitJob(client, "job_1"), 20_000);
    expect(r.value?.status).toBe("succeeded");
    expect(r.at - t.start).toBe(10_000);
    expect(cancels).toBe(0);
  });
});
