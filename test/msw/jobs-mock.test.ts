import { createClient, isApiError, isTimeoutError } from "async-jobs";
import { createJobsMock, type JobsMock, type JobsMockOptions } from "async-jobs/msw";
import type { Job, JobList, Upload } from "async-jobs/types";
import { setupServer } from "msw/node";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";

// The mock's own behaviour, checked over raw HTTP (so SDK retries hide nothing) against the
// clauses of the spec (docs/spec.md) it simulates.
const server = setupServer();
beforeAll(() => server.listen({ onUnhandledRequest: "error" }));
afterEach(() => server.resetHandlers());
afterAll(() => server.close());

const base = "http://jobs.test";
function start(options: JobsMockOptions = {}): JobsMock {
  const mock = createJobsMock({ baseUrl: base, ...options });
  server.use(...mock.handlers);
  return mock;
}
const api = (path: string, init: RequestInit & { token?: string } = {}) =>
  fetch(`${base}${path}`, {
    ...init,
    headers: { authorization: `Bearer ${init.token ?? "tenant-a"}`, ...(init.body ? { "content-type": "application/json" } : {}), ...(init.headers as Record<string, string>) },
  });
const submit = (input: unknown, headers: Record<string, string> = {}, type = "conformance.echo") =>
  api("/v1/jobs", { method: "POST", body: JSON.stringify({ type, input }), headers });

describe("jobs in virtual time", () => {
  it("manual time: a job runs only when the test advances the clock, with progress per step", async () => {
    const mock = start({ time: "manual", startTime: Date.parse("2026-01-01T00:00:00Z") });
    const submitted = await submit({ value: 7, duration_ms: 4000, progress_steps: 4 });
    expect(submitted.status).toBe(202);
    expect(submitted.headers.get("location")).toMatch(/^\/v1\/jobs\/job_/);
    expect(submitted.headers.get("retry-after")).toBe("1");
    const { id } = (await submitted.json()) as Job;
    const get = async () => (await (await api(`/v1/jobs/${id}`)).json()) as Job;
    expect((await get()).status).toBe("running");
    mock.advance(1000);
    expect((await get()).progress).toEqual({ percent: 25, message: "step 1 of 4" });
    mock.advance(2000);
    expect((await get()).progress?.percent).toBe(75);
    mock.advance(1000);
    const done = await get();
    expect(done).toMatchObject({ status: "succeeded", result: { value: 7 }, attempt: 1, completed_at: "2026-01-01T00:00:04.000Z" });
  });

  it("ETag and 304: unchanged is 304 with Retry-After, a change gives a new ETag", async () => {
    const mock = start({ time: "manual" });
    const { id } = (await (await submit({ duration_ms: 2000, progress_steps: 2 })).json()) as Job;
    const first = await api(`/v1/jobs/${id}`);
    const etag = first.headers.get("etag")!;
    expect(first.headers.get("cache-control")).toBe("no-cache");
    const again = await api(`/v1/jobs/${id}`, { headers: { "if-none-match": etag } });
    expect(again.status).toBe(304);
    expect(again.headers.get("retry-after")).toBe("1");
    mock.advance(1000);
    const changed = await api(`/v1/jobs/${id}`, { headers: { "if-none-match": etag } });
    expect(changed.status).toBe(200);
    expect(changed.headers.get("etag")).not.toBe(etag);
  });

  it("manual time: a long poll is held until advance() changes the job", async () => {
    const mock = start({ time: "manual" });
    const { id } = (await (await submit({ duration_ms: 5000 })).json()) as Job;
    const etag = (await api(`/v1/jobs/${id}`)).headers.get("etag")!;
    let answered = false;
    const held = api(`/v1/jobs/${id}`, { headers: { "if-none-match": etag, prefer: "wait=30" } }).then((r) => ((answered = true), r));
    await new Promise((r) => setTimeout(r, 30));
    expect(answered).toBe(false);
    mock.advance(5000);
    const response = await held;
    expect(response.status).toBe(200);
    expect(response.headers.get("preference-applied")).toBe("wait=20");
    expect(((await response.json()) as Job).status).toBe("succeeded");
  });

  it("manual time: a long poll whose virtual wait passes answers 304", async () => {
    const mock = start({ time: "manual" });
    const { id } = (await (await submit({ duration_ms: 60_000 })).json()) as Job;
    const etag = (await api(`/v1/jobs/${id}`)).headers.get("etag")!;
    const held = api(`/v1/jobs/${id}`, { headers: { "if-none-match": etag, prefer: "wait=5" } });
    await new Promise((r) => setTimeout(r, 10));
    mock.advance(5000);
    expect((await held).status).toBe(304);
  });

  it("auto time: submit with Prefer: wait jumps to the end of a ten-minute job and answers 200", async () => {
    const mock = start();
    const before = mock.now().getTime();
    const response = await submit({ value: "x", duration_ms: 600_000 }, { prefer: "wait=20" });
    expect(response.status).toBe(202); // the wait (capped at 20 s) ends before the job
    const { id } = (await response.json()) as Job;
    const client = createClient({ baseUrl: base, token: "tenant-a" });
    const job = await client.jobs.wait(id);
    expect(job.result).toEqual({ value: "x" });
    expect(mock.now().getTime() - before).toBeGreaterThanOrEqual(600_000);
  });

  it("retryable failures and abandoned attempts retry until max_attempts, then attempts_exhausted", async () => {
    const mock = start({ time: "manual", retryDelayMs: 100, leaseTimeoutMs: 1000 });
    const retried = (await (await submit({ value: 1, fail_attempts: 1 })).json()) as Job;
    const exhausted = (await (await submit({ abandon_attempts: 3 })).json()) as Job;
    mock.runAll();
    expect(mock.job(retried.id)).toMatchObject({ status: "succeeded", attempt: 2 });
    expect(mock.job(exhausted.id)).toMatchObject({ status: "failed", attempt: 3, error: { code: "attempts_exhausted", status: 500 } });
  });

  it("cancel: queued 200, running 202 then canceled, terminal 409", async () => {
    const mock = start({ time: "manual" });
    mock.pauseWorkers();
    const queued = (await (await submit({ duration_ms: 1000 })).json()) as Job;
    const cancelQueued = await api(`/v1/jobs/${queued.id}/cancel`, { method: "POST" });
    expect(cancelQueued.status).toBe(200);
    expect(((await cancelQueued.json()) as Job).status).toBe("canceled");
    mock.resumeWorkers();
    const running = (await (await submit({ duration_ms: 1000 })).json()) as Job;
    const cancelRunning = await api(`/v1/jobs/${running.id}/cancel`, { method: "POST" });
    expect(cancelRunning.status).toBe(202);
    expect(cancelRunning.headers.get("retry-after")).toBe("1");
    expect(((await cancelRunning.json()) as Job).cancel_requested).toBe(true);
    expect(((await (await api(`/v1/jobs/${running.id}`)).json()) as Job).status).toBe("canceled");
    expect((await api(`/v1/jobs/${running.id}/cancel`, { method: "POST" })).status).toBe(200);
    const done = (await (await submit({})).json()) as Job;
    mock.runAll();
    const terminal = await api(`/v1/jobs/${done.id}/cancel`, { method: "POST" });
    expect(terminal.status).toBe(409);
    expect(((await terminal.json()) as { code: string }).code).toBe("job_already_terminal");
  });

  it("failures on demand: failJob ends a job with the given code; events record webhook jobs", async () => {
    const mock = start({ time: "manual" });
    const response = await api("/v1/jobs", {
      method: "POST",
      body: JSON.stringify({ type: "conformance.echo", input: { duration_ms: 10_000 }, webhook: { url: "https://app.test/hook" } }),
    });
    const { id } = (await response.json()) as Job;
    mock.failJob(id, { code: "gpu_unavailable", message: "No GPU left" });
    const job = mock.job(id)!;
    expect(job.status).toBe("failed");
    expect(job.error).toMatchObject({ code: "gpu_unavailable", detail: "No GPU left" });
    expect(mock.events).toHaveLength(1);
    expect(mock.events[0]).toMatchObject({ type: "job.failed", timestamp: job.completed_at, data: { id } });
  });

  it("lifecycle webhooks (spec §3.1.1): job.started, job.progress throttled to one per interval with the newest progress, none after the end", async () => {
    const mock = start({ time: "manual", progressEventIntervalMs: 2000 });
    const webhook = { url: "https://app.test/hook", events: ["job.started", "job.progress", "job.succeeded"] };
    const response = await api("/v1/jobs", { method: "POST", body: JSON.stringify({ type: "conformance.echo", input: { duration_ms: 5000, progress_steps: 5 }, webhook }) });
    expect(((await response.json()) as Job).webhook).toEqual(webhook);
    mock.runAll();
    // Steps at 1 s … 5 s: the 1 s one at once, the 2 s one held to 3 s (carrying 3 s's 60 %), the 4 s one due at 5 s: the job ended.
    expect(mock.events.map((e) => [e.type, e.data.progress?.percent ?? null])).toEqual([
      ["job.started", null],
      ["job.progress", 20],
      ["job.progress", 60],
      ["job.succeeded", 100],
    ]);
    expect(mock.events[1]!.timestamp).toBe(mock.events[1]!.data.updated_at);
    const bad = await api("/v1/jobs", { method: "POST", body: JSON.stringify({ type: "conformance.echo", input: {}, webhook: { url: "https://app.test/hook", events: ["job.exploded"] } }) });
    expect(bad.status).toBe(400);
  });

  it("custom job types run with their own validation and plan", async () => {
    const mock = start({
      time: "manual",
      jobTypes: {
        "report.render": {
          validate: (input) => (typeof (input as { pages?: unknown }).pages === "number" ? [] : [{ path: "/input/pages", message: "must be a number" }]),
          run: (input) => ({ durationMs: 1000, result: { pages: (input as { pages: number }).pages, url: "https://cdn.test/r.pdf" } }),
        },
      },
    });
    const bad = await submit({ pages: "many" }, {}, "report.render");
    expect(bad.status).toBe(422);
    expect(await bad.json()).toMatchObject({ code: "invalid_input", errors: [{ path: "/input/pages" }] });
    const { id } = (await (await submit({ pages: 3 }, {}, "report.render")).json()) as Job;
    mock.advance(1000);
    expect(mock.job(id)?.result).toEqual({ pages: 3, url: "https://cdn.test/r.pdf" });
    const types = (await (await api("/v1/job-types")).json()) as { data: { type: string }[] };
    expect(types.data.map((t) => t.type)).toEqual(["report.render"]);
  });
});

describe("idempotency", () => {
  it("replays with Idempotent-Replayed and the first answer's status; quoted and bare keys are one key", async () => {
    const mock = start({ time: "manual" });
    const first = await submit({ value: 1 }, { "idempotency-key": '"k-1"' });
    const replay = await api("/v1/jobs", { method: "POST", body: '{ "input": {"value":1}, "type": "conformance.echo" }', headers: { "idempotency-key": "k-1" } });
    expect(replay.status).toBe(202);
    expect(replay.headers.get("idempotent-replayed")).toBe("true");
    expect(((await replay.json()) as Job).id).toBe(((await first.json()) as Job).id);
    expect(mock.jobs()).toHaveLength(1);
  });

  it("a different body is 422 idempotency_key_reused; the key is per tenant", async () => {
    start();
    await submit({ value: 1 }, { "idempotency-key": "k" });
    const reused = await submit({ value: 2 }, { "idempotency-key": "k" });
    expect(reused.status).toBe(422);
    expect(reused.headers.get("content-type")).toBe("application/problem+json");
    expect(((await reused.json()) as { code: string }).code).toBe("idempotency_key_reused");
    const otherTenant = await api("/v1/jobs", { method: "POST", token: "tenant-b", body: JSON.stringify({ type: "conformance.echo", input: { value: 2 } }), headers: { "idempotency-key": "k" } });
    expect(otherTenant.status).toBe(202);
  });

  it("the same key while the first request is still being processed is 409 with Retry-After", async () => {
    start();
    const body = { duration_ms: 0 };
    // The first submit holds its answer (Prefer: wait on a job that is paused), so it is in flight.
    const mock = start({ time: "manual" });
    mock.pauseWorkers();
    const first = submit(body, { "idempotency-key": "slow", prefer: "wait=5" });
    await new Promise((r) => setTimeout(r, 10));
    const second = await submit(body, { "idempotency-key": "slow" });
    expect(second.status).toBe(409);
    expect(second.headers.get("retry-after")).toBe("1");
    expect(((await second.json()) as { code: string }).code).toBe("idempotency_key_in_use");
    mock.advance(5000);
    expect((await first).status).toBe(202);
    const third = await submit(body, { "idempotency-key": "slow" });
    expect(third.headers.get("idempotent-replayed")).toBe("true");
  });

  it("a request refused by validation does not store its key", async () => {
    start();
    expect((await submit({ duration_ms: -5 }, { "idempotency-key": "v" })).status).toBe(422);
    expect((await submit({ duration_ms: 5 }, { "idempotency-key": "v" })).status).toBe(202);
  });
});

describe("list", () => {
  it("pages newest first with opaque cursors, filters by status and type, refuses bad queries", async () => {
    const mock = start({ time: "manual" });
    const ids: string[] = [];
    for (let i = 0; i < 5; i++) ids.push(((await (await submit({ value: i, duration_ms: i < 2 ? 0 : 10_000 })).json()) as Job).id);
    mock.advance(1);
    const seen: string[] = [];
    let cursor: string | null = null;
    do {
      const page = (await (await api(`/v1/jobs?limit=2${cursor ? `&cursor=${cursor}` : ""}`)).json()) as JobList;
      seen.push(...page.data.map((j) => j.id));
      cursor = page.next_cursor;
    } while (cursor);
    expect(seen).toEqual([...ids].reverse());
    const succeeded = (await (await api("/v1/jobs?status=succeeded")).json()) as JobList;
    expect(succeeded.data.map((j) => j.id)).toEqual([ids[1], ids[0]]);
    for (const query of ["limit=0", "limit=101", "status=done", "cursor=nope"]) {
      const response = await api(`/v1/jobs?${query}`);
      expect(response.status, query).toBe(400);
      expect(((await response.json()) as { code: string }).code).toBe("invalid_request");
    }
  });
});

describe("HTTP conventions", () => {
  it("401 with WWW-Authenticate, 404 for another tenant's job, 405 with Allow, X-Request-Id echoed", async () => {
    start({ tokens: { "token-a": "a", "token-b": "b" } });
    const anonymous = await fetch(`${base}/v1/jobs`);
    expect(anonymous.status).toBe(401);
    expect(anonymous.headers.get("www-authenticate")).toBe("Bearer");
    const { id } = (await (await api("/v1/jobs", { method: "POST", token: "token-a", body: JSON.stringify({ type: "conformance.echo", input: {} }) })).json()) as Job;
    const foreign = await api(`/v1/jobs/${id}`, { token: "token-b", headers: { "x-request-id": "req-42" } });
    expect(foreign.status).toBe(404);
    expect(foreign.headers.get("x-request-id")).toBe("req-42");
    const wrongMethod = await api(`/v1/jobs/${id}`, { method: "DELETE", token: "token-a" });
    expect(wrongMethod.status).toBe(405);
    expect(wrongMethod.headers.get("allow")).toBe("GET");
  });

  it("415, 400 malformed_json, 400 invalid_request with a JSON Pointer, 413 over the limit", async () => {
    start({ bodyLimit: 100 });
    const text = await api("/v1/jobs", { method: "POST", body: "{}", headers: { "content-type": "text/plain" } });
    expect(text.status).toBe(415);
    const malformed = await api("/v1/jobs", { method: "POST", body: "{", headers: { "content-type": "application/merge-patch+json; charset=utf-8" } });
    expect(((await malformed.json()) as { code: string }).code).toBe("malformed_json");
    const schema = await api("/v1/jobs", { method: "POST", body: JSON.stringify({ type: 5, input: {} }) });
    expect(await schema.json()).toMatchObject({ status: 400, code: "invalid_request", errors: [{ path: "/type" }] });
    const big = await api("/v1/jobs", { method: "POST", body: JSON.stringify({ type: "conformance.echo", input: { value: "x".repeat(200) } }) });
    expect(big.status).toBe(413);
  });

  it("injected 503 and 429 carry Retry-After and the SDK retries through them; a lost answer is replayed", async () => {
    const mock = start();
    mock.inject({ status: 503, times: 2 });
    mock.inject({ method: "POST", path: "/v1/jobs", network: true, afterHandling: true });
    const client = createClient({ baseUrl: base, token: "tenant-a", retry: { limit: 4, initialDelayMs: 1, maxDelayMs: 5 } });
    const submitted = await client.jobs.submit({ type: "conformance.echo", input: { value: 1 } });
    expect(submitted.replayed).toBe(true);
    expect(mock.jobs()).toHaveLength(1);
    expect(mock.requests.map((r) => r.status)).toEqual([503, 503, 0, 202]);
    mock.inject({ status: 429, retryAfterSeconds: 2 });
    const limited = await api("/v1/job-types");
    expect(limited.status).toBe(429);
    expect(limited.headers.get("retry-after")).toBe("2");
    expect(((await limited.json()) as { code: string }).code).toBe("rate_limited");
  });

  it("a deadline passes in real time while manual time stands still", async () => {
    start({ time: "manual" });
    const client = createClient({ baseUrl: base, token: "tenant-a" });
    const { job } = await client.jobs.submit({ type: "conformance.echo", input: { duration_ms: 1000 } });
    // The long poll is held on virtual time; the deadline (real time) aborts it.
    const error = await client.jobs.wait(job.id, { deadlineMs: 1500, onProgress: () => {} }).catch((e: unknown) => e);
    expect(isTimeoutError(error)).toBe(true);
    if (isTimeoutError(error)) expect(error.lastJob?.status).toBe("running");
  });
});

describe("uploads", () => {
  const MiB = 1024 * 1024;
  async function create(size: number, extra: Record<string, unknown> = {}) {
    const response = await api("/v1/uploads", { method: "POST", body: JSON.stringify({ filename: "f.bin", content_type: "application/octet-stream", size, ...extra }) });
    expect(response.status).toBe(201);
    return (await response.json()) as Upload;
  }
  const put = (url: string, size: number) => fetch(url, { method: "PUT", body: new Uint8Array(size).fill(7) });

  it("plans parts by the S3 rules and signs URLs for the first 100 only", async () => {
    start({ minPartSize: MiB });
    const upload = await create(150 * MiB + 1, { part_size: MiB });
    expect(upload).toMatchObject({ part_size: MiB, part_count: 151, status: "pending", sha256: null });
    expect(upload.parts.at(-1)?.size).toBe(1);
    expect(upload.parts.filter((p) => p.url)).toHaveLength(100);
    const defaults = await create(12 * MiB);
    expect(defaults.part_size).toBe(8 * MiB);
  });

  it("part PUTs: ETag, size_mismatch, invalid_signature, url_expired (renewed through part-urls)", async () => {
    const mock = start({ time: "manual", urlTtlSeconds: 60 });
    const upload = await create(100);
    const url = upload.parts[0]!.url!;
    expect((await put(url, 99)).status).toBe(400);
    const tampered = await put(url.replace("size=100", "size=101"), 101);
    expect(((await tampered.json()) as { code: string }).code).toBe("invalid_signature");
    mock.advance(61_000);
    const late = await put(url, 100);
    expect(late.status).toBe(403);
    expect(((await late.json()) as { code: string }).code).toBe("url_expired");
    const renewed = (await (await api(`/v1/uploads/${upload.id}/part-urls`, { method: "POST", body: JSON.stringify({ numbers: [1] }) })).json()) as { parts: { url: string }[] };
    const ok = await put(renewed.parts[0]!.url, 100);
    expect(ok.status).toBe(200);
    expect(ok.headers.get("etag")).toMatch(/^"[0-9a-f]{32}"$/);
    const resumed = (await (await api(`/v1/uploads/${upload.id}`)).json()) as Upload;
    expect(resumed.parts[0]!.etag).toBe(ok.headers.get("etag"));
    expect((await api(`/v1/uploads/${upload.id}/part-urls`, { method: "POST", body: JSON.stringify({ numbers: [2] }) })).status).toBe(422);
  });

  it("complete checks invalid_part, upload_incomplete, etag, checksum_mismatch in that order; then 200, 409", async () => {
    start({ minPartSize: 10 });
    const upload = await create(25, { part_size: 10 });
    const code = async (body: unknown) => {
      const r = await api(`/v1/uploads/${upload.id}/complete`, { method: "POST", body: JSON.stringify(body) });
      return r.ok ? r.status : ((await r.json()) as { code: string }).code;
    };
    const etags: string[] = [];
    for (const p of upload.parts.slice(0, 2)) etags.push((await put(p.url!, p.size)).headers.get("etag")!);
    expect(await code({ parts: [{ number: 4, etag: '"x"' }] })).toBe("invalid_part");
    expect(await code({ parts: [{ number: 1, etag: etags[0] }, { number: 2, etag: etags[1] }, { number: 3, etag: '"x"' }] })).toBe("upload_incomplete");
    etags.push((await put(upload.parts[2]!.url!, 5)).headers.get("etag")!);
    const parts = etags.map((etag, i) => ({ number: i + 1, etag: etag.replaceAll('"', "") }));
    expect(await code({ parts: [...parts.slice(0, 2), { number: 3, etag: "nope" }] })).toBe("invalid_part");
    expect(await code({ parts, sha256: "0".repeat(64) })).toBe("checksum_mismatch");
    expect(await code({ parts })).toBe(200);
    expect(await code({ parts })).toBe(200);
    expect(await code({ parts: parts.slice(0, 2) })).toBe("upload_not_pending");
    expect((await api(`/v1/uploads/${upload.id}`, { method: "DELETE" })).status).toBe(409);
  });

  it("presigned downloads serve Range requests (206, 416)", async () => {
    start({ minPartSize: 1 });
    const client = createClient({ baseUrl: base, token: "tenant-a" });
    const upload = await create(3);
    const etag = (await fetch(upload.parts[0]!.url!, { method: "PUT", body: new Uint8Array([1, 2, 3]) })).headers.get("etag")!;
    await api(`/v1/uploads/${upload.id}/complete`, { method: "POST", body: JSON.stringify({ parts: [{ number: 1, etag }] }) });
    const job = await client.jobs.submitAndWait({ type: "file.gzip", input: { upload_id: upload.id } });
    const { url } = job.result.download;
    const partial = await fetch(url, { headers: { range: "bytes=0-1" } });
    expect(partial.status).toBe(206);
    expect(partial.headers.get("content-range")).toBe(`bytes 0-1/${job.result.gzip_size}`);
    expect([...new Uint8Array(await partial.arrayBuffer())]).toEqual([0x1f, 0x8b]);
    expect((await fetch(url, { headers: { range: "bytes=9999-" } })).status).toBe(416);
    expect((await fetch(url.replace(/signature=\w+/, "signature=x"))).status).toBe(403);
  });
});

describe("hostile bodies", () => {
  it("a __proto__ key is an unknown field (400 invalid_request), never a 500", async () => {
    start();
    const job = await api("/v1/jobs", { method: "POST", body: '{"type":"conformance.echo","input":{},"__proto__":{"x":1}}' });
    expect(job.status).toBe(400);
    expect(await job.json()).toMatchObject({ code: "invalid_request", errors: [{ path: "/__proto__" }] });
    const input = await api("/v1/jobs", { method: "POST", body: '{"type":"conformance.echo","input":{"constructor":1}}' });
    expect(input.status).toBe(422);
    expect(await input.json()).toMatchObject({ code: "invalid_input", errors: [{ path: "/input/constructor" }] });
  });
});
