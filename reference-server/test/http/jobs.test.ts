import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { OTHER_TOKEN, eventually, startTestServer, type TestServer } from "../support/test-server.ts";

let t: TestServer;
beforeAll(async () => {
  t = await startTestServer();
});
afterAll(async () => {
  await t.close();
});

const echo = (input: Record<string, unknown> = {}, extra: Record<string, unknown> = {}) => ({ type: "conformance.echo", input, ...extra });

describe("submit (spec §2)", () => {
  it("answers 202 with Location, Retry-After and the queued job", async () => {
    const res = await t.request("POST", "/v1/jobs", { body: echo({ value: 1 }, { metadata: { a: "b" } }) });
    expect(res.status).toBe(202);
    expect(res.headers.get("location")).toBe(`/v1/jobs/${res.body.id}`);
    expect(res.headers.get("retry-after")).toMatch(/^\d+$/);
    expect(res.body).toMatchObject({ type: "conformance.echo", input: { value: 1 }, metadata: { a: "b" }, attempt: 0, max_attempts: 3, progress: null, result: null, error: null, webhook: null, cancel_requested: false });
    expect(res.body.id).toMatch(/^job_/);
  });

  it("honours Prefer: wait: 200 with the terminal job, Preference-Applied capped at 20", async () => {
    const res = await t.request("POST", "/v1/jobs", { body: echo({ value: "w", duration_ms: 50 }), headers: { prefer: "wait=60" } });
    expect(res.status).toBe(200);
    expect(res.headers.get("preference-applied")).toBe("wait=20");
    expect(res.body).toMatchObject({ status: "succeeded", result: { value: "w" }, attempt: 1 });
    expect(res.body.completed_at).not.toBeNull();
  });

  it("answers 202 when the job is not terminal within the wait", async () => {
    const res = await t.request("POST", "/v1/jobs", { body: echo({ duration_ms: 3000 }), headers: { prefer: "wait=1" } });
    expect(res.status).toBe(202);
    expect(res.headers.get("preference-applied")).toBe("wait=1");
    expect(["queued", "running"]).toContain(res.body.status);
    await t.request("POST", `/v1/jobs/${res.body.id}/cancel`);
  });

  it("ignores preferences it does not know", async () => {
    const res = await t.request("POST", "/v1/jobs", { body: echo(), headers: { prefer: "respond-async, handling=lenient" } });
    expect(res.status).toBe(202);
    expect(res.headers.get("preference-applied")).toBeNull();
  });

  it("refuses an unknown type with 422 unknown_job_type", async () => {
    const res = await t.request("POST", "/v1/jobs", { body: { type: "video.transcode", input: {} } });
    expect(res.status).toBe(422);
    expect(res.body.code).toBe("unknown_job_type");
  });

  it("refuses invalid input with 422 invalid_input and paths under /input", async () => {
    const res = await t.request("POST", "/v1/jobs", { body: echo({ duration_ms: 700000, bogus: true }) });
    expect(res.status).toBe(422);
    expect(res.body.code).toBe("invalid_input");
    const paths = res.body.errors.map((e: { path: string }) => e.path).sort();
    expect(paths).toEqual(["/input/bogus", "/input/duration_ms"]);
  });

  it("refuses private webhook URLs unless allowed", async () => {
    const strict = await startTestServer([], { allowPrivateWebhooks: false });
    try {
      for (const url of ["http://127.0.0.1:9/hook", "http://10.0.0.1/x", "http://[::1]/x", "http://169.254.169.254/latest", "http://localhost/x"]) {
        const res = await strict.request("POST", "/v1/jobs", { body: echo({}, { webhook: { url } }) });
        expect(res.status, url).toBe(422);
        expect(res.body.code).toBe("invalid_webhook_url");
      }
    } finally {
      await strict.close();
    }
    const ok = await t.request("POST", "/v1/jobs", { body: echo({}, { webhook: { url: "http://127.0.0.1:9/hook" } }) });
    expect(ok.status).toBe(202);
  });
});

describe("idempotency (spec §2)", () => {
  it("replays the same job for the same key and body (quoted and bare, any key order)", async () => {
    const first = await t.request("POST", "/v1/jobs", { body: { type: "conformance.echo", input: { value: 1, duration_ms: 0 } }, headers: { "idempotency-key": '"key-1"' } });
    expect(first.status).toBe(202);
    expect(first.headers.get("idempotent-replayed")).toBeNull();
    const again = await t.request("POST", "/v1/jobs", {
      raw: '{ "input": { "duration_ms": 0, "value": 1 },\n  "type": "conformance.echo" }',
      headers: { "idempotency-key": "key-1", "content-type": "application/json" },
    });
    expect(again.status).toBe(202);
    expect(again.headers.get("idempotent-replayed")).toBe("true");
    expect(again.headers.get("location")).toBe(first.headers.get("location"));
    expect(again.headers.get("retry-after")).toMatch(/^\d+$/);
    expect(again.body.id).toBe(first.body.id);
  });

  it("refuses the same key with another body: 422 idempotency_key_reused", async () => {
    await t.request("POST", "/v1/jobs", { body: echo({ value: 1 }), headers: { "idempotency-key": "key-2" } });
    const res = await t.request("POST", "/v1/jobs", { body: echo({ value: 2 }), headers: { "idempotency-key": "key-2" } });
    expect(res.status).toBe(422);
    expect(res.body.code).toBe("idempotency_key_reused");
  });

  it("refuses a used key with another, invalid body as idempotency_key_reused, not invalid_input", async () => {
    await t.request("POST", "/v1/jobs", { body: echo({ value: 1 }), headers: { "idempotency-key": "key-2b" } });
    const res = await t.request("POST", "/v1/jobs", { body: echo({ duration_ms: -1 }), headers: { "idempotency-key": "key-2b" } });
    expect([res.status, res.body.code]).toEqual([422, "idempotency_key_reused"]);
  });

  it("answers 409 idempotency_key_in_use with Retry-After while the first request is in flight", async () => {
    // The first request is held in its webhook host resolution (a slow validation step).
    let release!: () => void;
    const gate = new Promise<void>((r) => (release = r));
    const slow = await startTestServer([], { allowPrivateWebhooks: false }, { resolveHost: async () => (await gate, ["93.184.216.34"]) });
    try {
      const body = echo({}, { webhook: { url: "https://hooks.example.net/x" } });
      const first = slow.request("POST", "/v1/jobs", { body, headers: { "idempotency-key": "key-3" } });
      await new Promise((r) => setTimeout(r, 50));
      const second = await slow.request("POST", "/v1/jobs", { body, headers: { "idempotency-key": "key-3" } });
      expect(second.status).toBe(409);
      expect(second.body.code).toBe("idempotency_key_in_use");
      expect(second.headers.get("retry-after")).toMatch(/^\d+$/);
      release();
      expect((await first).status).toBe(202);
      const third = await slow.request("POST", "/v1/jobs", { body, headers: { "idempotency-key": "key-3" } });
      expect(third.headers.get("idempotent-replayed")).toBe("true");
    } finally {
      release();
      await slow.close();
    }
  });

  it("stores no key for a request refused by validation", async () => {
    const bad = await t.request("POST", "/v1/jobs", { body: echo({ duration_ms: -1 }), headers: { "idempotency-key": "key-4" } });
    expect(bad.status).toBe(422);
    const good = await t.request("POST", "/v1/jobs", { body: echo({ duration_ms: 1 }), headers: { "idempotency-key": "key-4" } });
    expect(good.status).toBe(202);
    expect(good.headers.get("idempotent-replayed")).toBeNull();
  });

  it("keeps keys per tenant", async () => {
    const a = await t.request("POST", "/v1/jobs", { body: echo({ value: "a" }), headers: { "idempotency-key": "shared" } });
    const b = await t.request("POST", "/v1/jobs", { body: echo({ value: "b" }), headers: { "idempotency-key": "shared" }, token: OTHER_TOKEN });
    expect(b.status).toBe(202);
    expect(b.body.id).not.toBe(a.body.id);
  });

  it("refuses a malformed key with 400 invalid_request naming the header", async () => {
    const res = await t.request("POST", "/v1/jobs", { body: echo(), headers: { "idempotency-key": "x".repeat(300) } });
    expect(res.status).toBe(400);
    expect(res.body.code).toBe("invalid_request");
    expect(res.body.errors[0].path).toBe("idempotency-key");
  });
});

describe("status, ETag and long poll (spec §2)", () => {
  it("answers with a strong ETag, no-cache and Retry-After while not terminal; 304 on a match", async () => {
    const { body: job } = await t.request("POST", "/v1/jobs", { body: echo({ duration_ms: 2000 }) });
    const res = await t.request("GET", `/v1/jobs/${job.id}`);
    expect(res.status).toBe(200);
    const etag = res.headers.get("etag")!;
    expect(etag).toMatch(/^"[^"]+"$/);
    expect(res.headers.get("cache-control")).toBe("no-cache");
    expect(res.headers.get("retry-after")).toMatch(/^\d+$/);
    const again = await t.request("GET", `/v1/jobs/${job.id}`, { headers: { "if-none-match": etag } });
    if (again.status === 304) {
      expect(again.headers.get("etag")).toBe(etag);
      expect(again.headers.get("retry-after")).toMatch(/^\d+$/);
    } else {
      expect(again.headers.get("etag")).not.toBe(etag); // it changed in between
    }
    await t.request("POST", `/v1/jobs/${job.id}/cancel`);
  });

  it("sizes a running job's Retry-After by its progress (the time left, at most half the time run)", async () => {
    // 25 % after 3 s of a 12 s job: ~9 s left, so half the 3 s run (1.5 s → "2"), not the 1 s default.
    const { body: job } = await t.request("POST", "/v1/jobs", { body: echo({ duration_ms: 12_000, progress_steps: 4 }) });
    const fresh = await t.request("GET", `/v1/jobs/${job.id}`);
    expect(fresh.headers.get("retry-after")).toBe("1"); // no progress yet: the configured interval
    const quarter = await eventually(() => t.request("GET", `/v1/jobs/${job.id}`), (res) => res.body.progress?.percent === 25);
    const hint = Number(quarter.headers.get("retry-after"));
    expect(hint).toBeGreaterThanOrEqual(2);
    expect(hint).toBeLessThanOrEqual(9);
    const unchanged = await t.request("GET", `/v1/jobs/${job.id}`, { headers: { "if-none-match": quarter.headers.get("etag")! } });
    expect(unchanged.status).toBe(304);
    expect(Number(unchanged.headers.get("retry-after"))).toBeGreaterThanOrEqual(2);
    await t.request("POST", `/v1/jobs/${job.id}/cancel`);
  });

  it("changes the ETag whenever the representation changes, and ends without Retry-After", async () => {
    const { body: job } = await t.request("POST", "/v1/jobs", { body: echo({ duration_ms: 100, progress_steps: 2 }) });
    const seen = new Map<string, string>();
    const final = await eventually(
      async () => {
        const res = await t.request("GET", `/v1/jobs/${job.id}`);
        const previous = seen.get(res.headers.get("etag")!);
        if (previous !== undefined) expect(previous).toBe(res.text); // same ETag ⇒ same representation
        seen.set(res.headers.get("etag")!, res.text);
        return res;
      },
      (res) => res.body.status === "succeeded",
    );
    expect(final.headers.get("retry-after")).toBeNull();
    expect(final.body.progress).toEqual({ percent: 100, message: "step 2 of 2" });
  });

  it("long polls with If-None-Match until the job changes", async () => {
    const { body: job } = await t.request("POST", "/v1/jobs", { body: echo({ duration_ms: 300, progress_steps: 1 }) });
    let res = await t.request("GET", `/v1/jobs/${job.id}`);
    while (res.body.status !== "succeeded") {
      const etag = res.headers.get("etag")!;
      res = await t.request("GET", `/v1/jobs/${job.id}`, { headers: { "if-none-match": etag, prefer: "wait=5" } });
      expect(res.headers.get("preference-applied")).toBe("wait=5");
      expect(res.status).toBe(200);
      expect(res.headers.get("etag")).not.toBe(etag);
    }
  });

  it("long polls without If-None-Match until terminal; 304 when nothing changed in the wait", async () => {
    const { body: job } = await t.request("POST", "/v1/jobs", { body: echo({ duration_ms: 200, progress_steps: 4 }) });
    const res = await t.request("GET", `/v1/jobs/${job.id}`, { headers: { prefer: "wait=10" } });
    expect(res.status).toBe(200);
    expect(res.body.status).toBe("succeeded");
    const etag = res.headers.get("etag")!;
    const idle = await t.request("GET", `/v1/jobs/${job.id}`, { headers: { prefer: "wait=1", "if-none-match": etag } });
    expect(idle.status).toBe(304);
    expect(idle.headers.get("retry-after")).toMatch(/^\d+$/);
  });

  it("answers 404 for an unknown job and for another tenant's job", async () => {
    const { body: job } = await t.request("POST", "/v1/jobs", { body: echo() });
    const missing = await t.request("GET", "/v1/jobs/job_nope");
    expect(missing.status).toBe(404);
    expect(missing.body.code).toBe("not_found");
    for (const [method, path] of [["GET", `/v1/jobs/${job.id}`], ["POST", `/v1/jobs/${job.id}/cancel`], ["GET", `/v1/jobs/${job.id}/deliveries`]] as const) {
      const other = await t.request(method, path, { token: OTHER_TOKEN });
      expect(other.status, path).toBe(404);
      expect(other.body).toMatchObject({ code: "not_found" });
    }
  });
});

describe("cancel (spec §2)", () => {
  it("cancels a queued job at once (200), idempotently", async () => {
    const stopped = await startTestServer(["--no-worker"]);
    try {
      const { body: job } = await stopped.request("POST", "/v1/jobs", { body: echo() });
      const res = await stopped.request("POST", `/v1/jobs/${job.id}/cancel`);
      expect(res.status).toBe(200);
      expect(res.body).toMatchObject({ status: "canceled", cancel_requested: true, attempt: 0 });
      const again = await stopped.request("POST", `/v1/jobs/${job.id}/cancel`);
      expect(again.status).toBe(200);
      expect(again.body.status).toBe("canceled");
    } finally {
      await stopped.close();
    }
  });

  it("asks a running job to stop (202); the worker sees the abort and it ends canceled", async () => {
    const { body: job } = await t.request("POST", "/v1/jobs", { body: echo({ duration_ms: 10000, progress_steps: 10 }) });
    await eventually(() => t.request("GET", `/v1/jobs/${job.id}`), (r) => r.body.status === "running");
    const res = await t.request("POST", `/v1/jobs/${job.id}/cancel`);
    expect(res.status).toBe(202);
    expect(res.headers.get("retry-after")).toMatch(/^\d+$/);
    expect(res.body).toMatchObject({ status: "running", cancel_requested: true });
    const done = await t.request("GET", `/v1/jobs/${job.id}`, { headers: { prefer: "wait=5" } });
    expect(done.body.status).toBe("canceled");
  });

  it("refuses to cancel a succeeded job: 409 job_already_terminal", async () => {
    const { body: job } = await t.request("POST", "/v1/jobs", { body: echo(), headers: { prefer: "wait=5" } });
    expect(job.status).toBe("succeeded");
    const res = await t.request("POST", `/v1/jobs/${job.id}/cancel`);
    expect(res.status).toBe(409);
    expect(res.body.code).toBe("job_already_terminal");
  });
});

describe("list (spec §2)", () => {
  it("pages newest first with stable cursors, filters by status and type", async () => {
    const tenant = await startTestServer(["--no-worker"]);
    try {
      const ids: string[] = [];
      for (let i = 0; i < 7; i++) ids.push((await tenant.request("POST", "/v1/jobs", { body: echo({ value: i }) })).body.id);
      await tenant.request("POST", `/v1/jobs/${ids[1]}/cancel`);
      const seen: string[] = [];
      let cursor: string | null = null;
      let first = true;
      do {
        const res: any = await tenant.request("GET", `/v1/jobs?limit=3${cursor ? `&cursor=${cursor}` : ""}`);
        expect(res.status).toBe(200);
        seen.push(...res.body.data.map((j: { id: string }) => j.id));
        cursor = res.body.next_cursor;
        if (first) {
          // A job created after the first page does not shift the next pages.
          await tenant.request("POST", "/v1/jobs", { body: echo({ value: "late" }) });
          first = false;
        }
      } while (cursor);
      expect(seen).toEqual([...ids].reverse());
      const canceled = await tenant.request("GET", "/v1/jobs?status=canceled,succeeded");
      expect(canceled.body.data.map((j: { id: string }) => j.id)).toEqual([ids[1]]);
      const typed = await tenant.request("GET", "/v1/jobs?type=file.gzip");
      expect(typed.body).toEqual({ data: [], next_cursor: null });
      const def = await tenant.request("GET", "/v1/jobs");
      expect(def.body.data).toHaveLength(8);
    } finally {
      await tenant.close();
    }
  });

  it("refuses bad limits, statuses and cursors with 400 invalid_request", async () => {
    for (const query of ["limit=0", "limit=101", "limit=abc", "status=done", "status=queued,", "cursor=bm9wZQ"]) {
      const res = await t.request("GET", `/v1/jobs?${query}`);
      expect(res.status, query).toBe(400);
      expect(res.body.code).toBe("invalid_request");
      expect(res.body.errors.length).toBeGreaterThan(0);
    }
  });
});

describe("job types and deliveries", () => {
  it("lists the job types with JSON Schemas", async () => {
    const res = await t.request("GET", "/v1/job-types");
    const types = res.body.data.map((d: { type: string }) => d.type);
    expect(types).toContain("conformance.echo");
    const echoType = res.body.data.find((d: { type: string }) => d.type === "conformance.echo");
    expect(echoType.input_schema.properties.duration_ms).toEqual({ type: "integer", minimum: 0, maximum: 600000 });
  });

  it("lists no deliveries for a job without a webhook", async () => {
    const { body: job } = await t.request("POST", "/v1/jobs", { body: echo(), headers: { prefer: "wait=5" } });
    const res = await t.request("GET", `/v1/jobs/${job.id}/deliveries`);
    expect(res.body).toEqual({ data: [] });
  });
});

describe("execution (spec §2)", () => {
  it("retries retryable failures, then succeeds", async () => {
    const { body } = await t.request("POST", "/v1/jobs", { body: echo({ value: "r", fail_attempts: 2 }), headers: { prefer: "wait=10" } });
    expect(body).toMatchObject({ status: "succeeded", attempt: 3, result: { value: "r" } });
  });

  it("fails for good with the job's own code", async () => {
    const { body } = await t.request("POST", "/v1/jobs", { body: echo({ fail: { code: "report_too_large", message: "Too big." } }), headers: { prefer: "wait=10" } });
    expect(body).toMatchObject({ status: "failed", attempt: 1, result: null, error: { code: "report_too_large", detail: "Too big.", status: 500 } });
  });

  it("recovers abandoned attempts by lease expiry and ends attempts_exhausted", async () => {
    const { body: job } = await t.request("POST", "/v1/jobs", { body: echo({ abandon_attempts: 5 }, { max_attempts: 2 }) });
    const done = await eventually(() => t.request("GET", `/v1/jobs/${job.id}`, { headers: { prefer: "wait=5" } }), (r) => r.body.status === "failed", 15_000);
    expect(done.body).toMatchObject({ attempt: 2, error: { code: "attempts_exhausted" } });
  });

  it("runs again after an abandoned attempt and succeeds on the next", async () => {
    const { body: job } = await t.request("POST", "/v1/jobs", { body: echo({ value: 7, abandon_attempts: 1 }) });
    const done = await eventually(() => t.request("GET", `/v1/jobs/${job.id}`, { headers: { prefer: "wait=5" } }), (r) => r.body.status === "succeeded", 15_000);
    expect(done.body).toMatchObject({ attempt: 2, result: { value: 7 } });
  });
});
