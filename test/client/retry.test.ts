import { http, HttpResponse } from "msw";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { createClient, isApiError, isNetworkError } from "async-jobs";
import { createHandlerFetch } from "../helpers/handler-fetch.ts";
import { makeJob, problem, testBaseUrl as base } from "../helpers/job-fixture.ts";

// Retry policy of the transport (spec §6), observed through the public client with msw and
// fake timers: which answers are retried, after how long, with what bytes.
// msw handlers reach the client through ClientOptions.fetch: no global fetch is patched.
const server = createHandlerFetch();
afterEach(() => {
  server.resetHandlers();
  vi.useRealTimers();
  vi.restoreAllMocks();
});
beforeEach(() => {
  vi.useFakeTimers({ toFake: ["setTimeout", "clearTimeout", "Date"] });
  vi.spyOn(Math, "random").mockReturnValue(0.5);
});

const client = () => createClient({ baseUrl: base, fetch: server.fetch, token: "t" });

/** Answers with `answers` in order (the last one repeats) and records each request. */
function sequence(method: "get" | "post", path: string, answers: Array<() => Response>) {
  const seen: { at: number; body: string; headers: Headers }[] = [];
  server.use(
    http[method](`${base}${path}`, async ({ request }) => {
      seen.push({ at: Date.now(), body: await request.text(), headers: request.headers });
      return answers[Math.min(seen.length - 1, answers.length - 1)]!();
    }),
  );
  return seen;
}

const fail = (status: number, code: string, headers: Record<string, string> = {}) => () =>
  HttpResponse.json(problem(status, code), { status, headers: { "content-type": "application/problem+json", ...headers } });
const ok = () => HttpResponse.json(makeJob(), { headers: { etag: '"1"' } });

/** Runs `promise` while advancing fake time, and settles it. */
async function settle<T>(promise: Promise<T>, ms = 120_000): Promise<{ value?: T; error?: unknown }> {
  const out = promise.then((value) => ({ value }), (error: unknown) => ({ error }));
  await vi.advanceTimersByTimeAsync(ms);
  return out;
}

describe("retries", () => {
  for (const [status, code] of [
    [408, "invalid_request"],
    [429, "rate_limited"],
    [502, "internal"],
    [503, "overloaded"],
    [504, "internal"],
    [409, "idempotency_key_in_use"],
  ] as const) {
    it(`retries a GET after ${status} ${code}, then succeeds`, async () => {
      const seen = sequence("get", "/v1/jobs/job_1", [fail(status, code), ok]);
      const { value } = await settle(client().jobs.get("job_1"));
      expect(value?.id).toBe("job_1");
      expect(seen).toHaveLength(2);
    });

    it(`retries a keyed POST after ${status} ${code} with the same key and bytes`, async () => {
      const seen = sequence("post", "/v1/jobs", [fail(status, code), fail(status, code), () => HttpResponse.json(makeJob(), { status: 202 })]);
      const { value } = await settle(client().jobs.submit({ type: "conformance.echo", input: { value: "x" } }));
      expect(value?.job.id).toBe("job_1");
      expect(seen).toHaveLength(3);
      const keys = seen.map((s) => s.headers.get("idempotency-key"));
      expect(keys[0]).toMatch(/^"[0-9a-f-]{36}"$/);
      expect(new Set(keys).size).toBe(1);
      expect(new Set(seen.map((s) => s.body)).size).toBe(1);
      expect(JSON.parse(seen[0]!.body)).toEqual({ type: "conformance.echo", input: { value: "x" } });
    });
  }

  it("never retries other 4xx, nor 500, nor a 409 with another code", async () => {
    for (const [status, code] of [
      [400, "invalid_request"],
      [401, "unauthorized"],
      [404, "not_found"],
      [409, "job_already_terminal"],
      [413, "payload_too_large"],
      [422, "invalid_input"],
      [500, "internal"],
    ] as const) {
      const seen = sequence("get", "/v1/jobs/job_1", [fail(status, code), ok]);
      const { error } = await settle(client().jobs.get("job_1"));
      expect(isApiError(error, code), `${status} ${code}`).toBe(true);
      expect(error).toMatchObject({ status, code });
      expect(seen, `${status} ${code}`).toHaveLength(1);
      server.resetHandlers();
    }
  });

  it("does not retry a POST without an Idempotency-Key (cancel)", async () => {
    const seen = sequence("post", "/v1/jobs/job_1/cancel", [fail(503, "overloaded"), ok]);
    const { error } = await settle(client().jobs.cancel("job_1"));
    expect(isApiError(error, "overloaded")).toBe(true);
    expect(seen).toHaveLength(1);
  });

  it("gives up after the budget (2 retries by default) and throws the last answer", async () => {
    const seen = sequence("get", "/v1/jobs/job_1", [fail(503, "overloaded", { "x-request-id": "req_9" })]);
    const { error } = await settle(client().jobs.get("job_1"));
    expect(seen).toHaveLength(3);
    expect(error).toMatchObject({ name: "ApiError", status: 503, code: "overloaded", requestId: "req_9" });
  });

  it("honours retry.limit and retry: false", async () => {
    let seen = sequence("get", "/v1/jobs/job_1", [fail(503, "overloaded")]);
    await settle(createClient({ baseUrl: base, fetch: server.fetch, retry: { limit: 4 } }).jobs.get("job_1"));
    expect(seen).toHaveLength(5);
    server.resetHandlers();
    seen = sequence("get", "/v1/jobs/job_1", [fail(503, "overloaded")]);
    await settle(createClient({ baseUrl: base, fetch: server.fetch, retry: false }).jobs.get("job_1"));
    expect(seen).toHaveLength(1);
  });

  it("backs off 0.5 s then 1 s with full jitter (Math.random = 0.5 → half)", async () => {
    const seen = sequence("get", "/v1/jobs/job_1", [fail(502, "internal"), fail(502, "internal"), ok]);
    await settle(client().jobs.get("job_1"));
    expect(seen.map((s, i) => (i === 0 ? 0 : s.at - seen[i - 1]!.at))).toEqual([0, 250, 500]);
  });

  it("caps the backoff at maxDelayMs", async () => {
    const seen = sequence("get", "/v1/jobs/job_1", [fail(502, "internal")]);
    await settle(createClient({ baseUrl: base, fetch: server.fetch, retry: { limit: 6, initialDelayMs: 1000, maxDelayMs: 4000 } }).jobs.get("job_1"));
    const gaps = seen.slice(1).map((s, i) => s.at - seen[i]!.at);
    expect(gaps).toEqual([500, 1000, 2000, 2000, 2000, 2000]);
  });

  it("sleeps exactly Retry-After seconds", async () => {
    const seen = sequence("get", "/v1/jobs/job_1", [fail(429, "rate_limited", { "retry-after": "3" }), ok]);
    await settle(client().jobs.get("job_1"));
    expect(seen[1]!.at - seen[0]!.at).toBe(3000);
  });

  it("sleeps until a Retry-After HTTP date", async () => {
    const seen = sequence("get", "/v1/jobs/job_1", [
      () => fail(503, "overloaded", { "retry-after": new Date(Date.now() + 5000).toUTCString() })(),
      ok,
    ]);
    await settle(client().jobs.get("job_1"));
    // HTTP dates have 1 s resolution: between 4 and 5 s.
    expect(seen[1]!.at - seen[0]!.at).toBeGreaterThan(4000);
    expect(seen[1]!.at - seen[0]!.at).toBeLessThanOrEqual(5000);
  });

  it("prefers retry-after-ms", async () => {
    const seen = sequence("get", "/v1/jobs/job_1", [fail(503, "overloaded", { "retry-after-ms": "120", "retry-after": "9" }), ok]);
    await settle(client().jobs.get("job_1"));
    expect(seen[1]!.at - seen[0]!.at).toBe(120);
  });

  it("surfaces a Retry-After over 60 s as the error instead of sleeping", async () => {
    const seen = sequence("get", "/v1/jobs/job_1", [fail(429, "rate_limited", { "retry-after": "61" }), ok]);
    const { error } = await settle(client().jobs.get("job_1"), 1000);
    expect(seen).toHaveLength(1);
    expect(error).toMatchObject({ code: "rate_limited", retryAfterMs: 61_000 });
  });

  it("retries network errors, then throws NetworkError with the cause", async () => {
    const seen = sequence("get", "/v1/jobs/job_1", [() => HttpResponse.error()]);
    const { error } = await settle(client().jobs.get("job_1"));
    expect(seen).toHaveLength(3);
    expect(isNetworkError(error)).toBe(true);
    expect((error as Error).cause).toBeDefined();
  });

  it("a network error then success resolves", async () => {
    const seen = sequence("get", "/v1/jobs/job_1", [() => HttpResponse.error(), ok]);
    const { value } = await settle(client().jobs.get("job_1"));
    expect(value?.id).toBe("job_1");
    expect(seen).toHaveLength(2);
  });

  it("times out each attempt after timeoutMs and retries", async () => {
    let calls = 0;
    server.use(
      http.get(`${base}/v1/jobs/job_1`, async () => {
        calls++;
        if (calls === 1) await new Promise((r) => setTimeout(r, 10_000));
        return ok();
      }),
    );
    const { value } = await settle(createClient({ baseUrl: base, fetch: server.fetch, timeoutMs: 1000 }).jobs.get("job_1"), 20_000);
    expect(value?.id).toBe("job_1");
    expect(calls).toBe(2);
  });

  it("times out every attempt → NetworkError", async () => {
    server.use(http.get(`${base}/v1/jobs/job_1`, () => new Promise<Response>(() => {})));
    const { error } = await settle(createClient({ baseUrl: base, fetch: server.fetch, timeoutMs: 1000 }).jobs.get("job_1"), 20_000);
    expect(isNetworkError(error)).toBe(true);
    expect((error as Error).message).toMatch(/no answer within 1000 ms/);
  });

  it("an abort during backoff rejects at once with the signal's reason and stops retrying", async () => {
    const seen = sequence("get", "/v1/jobs/job_1", [fail(503, "overloaded", { "retry-after": "30" })]);
    const controller = new AbortController();
    const promise = client().jobs.get("job_1", { signal: controller.signal }).catch((e: unknown) => e);
    await vi.advanceTimersByTimeAsync(100);
    controller.abort(new Error("stop"));
    await vi.advanceTimersByTimeAsync(1);
    expect(await promise).toMatchObject({ message: "stop" });
    await vi.advanceTimersByTimeAsync(60_000);
    expect(seen).toHaveLength(1);
  });
});
