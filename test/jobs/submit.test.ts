import { http, HttpResponse } from "msw";
import { afterEach, describe, expect, it, vi } from "vitest";
import { createClient, isApiError, isJobFailedError, isTimeoutError } from "async-jobs";
import { createHandlerFetch } from "../helpers/handler-fetch.ts";
import { makeJob, problem, testBaseUrl as base } from "../helpers/job-fixture.ts";

// submit / submitAndWait / cancel / list / types through msw (no fake timers needed here
// except where a wait is involved).
// msw handlers reach the client through ClientOptions.fetch: no global fetch is patched.
const server = createHandlerFetch();
afterEach(() => {
  server.resetHandlers();
  vi.useRealTimers();
});

const client = createClient({ baseUrl: `${base}/`, token: "tok", fetch: server.fetch });

describe("submit", () => {
  it("sends the body, a quoted random Idempotency-Key and auth; exposes replay and Retry-After", async () => {
    const seen: Request[] = [];
    server.use(
      http.post(`${base}/v1/jobs`, ({ request }) => {
        seen.push(request.clone());
        return HttpResponse.json(makeJob(), {
          status: 202,
          headers: { location: "/v1/jobs/job_1", "retry-after": "2", "idempotent-replayed": seen.length > 1 ? "true" : "" },
        });
      }),
    );
    const first = await client.jobs.submit({ type: "conformance.echo", input: { value: 1 }, metadata: { a: "b" } });
    expect(first).toMatchObject({ replayed: false, retryAfterMs: 2000, job: { id: "job_1", status: "queued" } });
    expect(seen[0]!.headers.get("idempotency-key")).toBe(`"${first.idempotencyKey}"`);
    expect(first.idempotencyKey).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    expect(seen[0]!.headers.get("authorization")).toBe("Bearer tok");
    expect(seen[0]!.headers.get("content-type")).toBe("application/json");
    expect(seen[0]!.headers.get("prefer")).toBeNull();
    expect(await seen[0]!.json()).toEqual({ type: "conformance.echo", input: { value: 1 }, metadata: { a: "b" } });

    const again = await client.jobs.submit({ type: "conformance.echo", input: { value: 1 } }, { idempotencyKey: "my-key \"1\"" });
    expect(again.replayed).toBe(true);
    expect(seen[1]!.headers.get("idempotency-key")).toBe('"my-key \\"1\\""');
  });

  it("two logical submits use two keys", async () => {
    const keys: (string | null)[] = [];
    server.use(http.post(`${base}/v1/jobs`, ({ request }) => (keys.push(request.headers.get("idempotency-key")), HttpResponse.json(makeJob(), { status: 202 }))));
    await client.jobs.submit({ type: "conformance.echo", input: {} });
    await client.jobs.submit({ type: "conformance.echo", input: {} });
    expect(keys[0]).not.toBe(keys[1]);
  });

  it("refuses a key outside 1-255 printable ASCII before sending anything", async () => {
    await expect(client.jobs.submit({ type: "conformance.echo", input: {} }, { idempotencyKey: "" })).rejects.toThrow(TypeError);
    await expect(client.jobs.submit({ type: "conformance.echo", input: {} }, { idempotencyKey: "é" })).rejects.toThrow(TypeError);
  });

  it("throws ApiError with the problem, its field errors and the request id (422)", async () => {
    server.use(
      http.post(`${base}/v1/jobs`, () =>
        HttpResponse.json(
          { ...problem(422, "invalid_input"), errors: [{ path: "/input/duration_ms", message: "must be <= 600000" }] },
          { status: 422, headers: { "content-type": "application/problem+json", "x-request-id": "req_1" } },
        ),
      ),
    );
    const error = await client.jobs.submit({ type: "conformance.echo", input: { duration_ms: 1e9 } }).catch((e: unknown) => e);
    expect(isApiError(error, "invalid_input")).toBe(true);
    expect(error).toMatchObject({ status: 422, requestId: "req_1", problem: { errors: [{ path: "/input/duration_ms" }] } });
  });

  it("turns a non-problem error body into ApiError code unexpected_response with status, origin and an excerpt", async () => {
    const page = `<html><head><title>413 Request Entity Too Large</title></head><body><center><h1>413 Request Entity Too Large</h1></center><hr><center>nginx</center>${"<!-- padding -->".repeat(100)}</body></html>`;
    server.use(http.post(`${base}/v1/jobs`, () => new HttpResponse(page, { status: 413, headers: { "content-type": "text/html" } })));
    const error = await client.jobs.submit({ type: "conformance.echo", input: {} }).catch((e: unknown) => e);
    expect(error).toMatchObject({ name: "ApiError", status: 413, code: "unexpected_response" });
    const detail = (error as { problem: { detail: string } }).problem.detail;
    expect(detail).toBe(`HTTP 413 from ${new URL(base).origin} is not a problem+json answer: 413 Request Entity Too Large 413 Request Entity Too Large nginx`);
    expect((error as Error).message).not.toContain("<");
  });
});

describe("submitAndWait", () => {
  it("a fast job finishes in one round trip (Prefer: wait → 200)", async () => {
    const seen: Request[] = [];
    server.use(
      http.post(`${base}/v1/jobs`, ({ request }) => {
        seen.push(request);
        return HttpResponse.json(makeJob({ status: "succeeded", result: { value: "hi" } }), { headers: { "preference-applied": "wait=20" } });
      }),
    );
    const job = await client.jobs.submitAndWait({ type: "conformance.echo", input: { value: "hi" } });
    expect(job.result).toEqual({ value: "hi" });
    expect(seen).toHaveLength(1);
    expect(seen[0]!.headers.get("prefer")).toBe("wait=20");
  });

  it("a slow job with onProgress: no Prefer on the submit, then awaitJob; the submitted state is reported once", async () => {
    let gets = 0;
    let prefer: string | null = "unset";
    server.use(
      http.post(`${base}/v1/jobs`, ({ request }) => ((prefer = request.headers.get("prefer")), HttpResponse.json(makeJob({ status: "running" }), { status: 202 }))),
      http.get(`${base}/v1/jobs/job_1`, () => {
        gets++;
        return gets === 1
          ? HttpResponse.json(makeJob({ status: "running" }), { headers: { etag: '"1"', "preference-applied": "wait=20" } })
          : HttpResponse.json(makeJob({ status: "failed", error: problem(500, "echo_failed"), updated_at: "2026-11-23T10:00:05Z" }), {
              headers: { etag: '"2"', "preference-applied": "wait=20" },
            });
      }),
    );
    const progress: string[] = [];
    const error = await client.jobs
      .submitAndWait({ type: "conformance.echo", input: {} }, { onProgress: (j) => progress.push(j.status) })
      .catch((e: unknown) => e);
    expect(isJobFailedError(error)).toBe(true);
    expect(error).toMatchObject({ problem: { code: "echo_failed" } });
    expect(progress).toEqual(["running", "failed"]);
    expect(prefer).toBeNull();
  });

  it("deadline shorter than the long poll: asks the server for less, then TimeoutError", async () => {
    vi.useFakeTimers({ toFake: ["setTimeout", "clearTimeout", "Date"] });
    let prefer: string | null = null;
    server.use(
      http.post(`${base}/v1/jobs`, ({ request }) => ((prefer = request.headers.get("prefer")), HttpResponse.json(makeJob(), { status: 202 }))),
      http.get(`${base}/v1/jobs/job_1`, () => HttpResponse.json(makeJob(), { headers: { etag: '"1"', "retry-after": "1" } })),
    );
    const promise = client.jobs.submitAndWait({ type: "conformance.echo", input: {} }, { deadlineMs: 5000 }).catch((e: unknown) => e);
    await vi.advanceTimersByTimeAsync(6000);
    const error = await promise;
    expect(prefer).toBe("wait=5");
    expect(isTimeoutError(error)).toBe(true);
    expect(error).toMatchObject({ lastJob: { id: "job_1", status: "queued" } });
  });
});

describe("submitAndWait abort", () => {
  it("an abort while the submit is held cancels that request and rejects with the reason", async () => {
    let signal: AbortSignal | undefined;
    server.use(
      http.post(`${base}/v1/jobs`, async ({ request }) => {
        signal = request.signal;
        await new Promise((r) => setTimeout(r, 5_000));
        return HttpResponse.json(makeJob(), { status: 202 });
      }),
    );
    const controller = new AbortController();
    const promise = client.jobs.submitAndWait({ type: "conformance.echo", input: {} }, { signal: controller.signal }).catch((e: unknown) => e);
    await new Promise((r) => setTimeout(r, 50));
    controller.abort(new Error("bye"));
    expect(await promise).toMatchObject({ message: "bye" });
    expect(signal?.aborted).toBe(true);
  });
});

describe("cancel, list, types", () => {
  it("cancel returns the job", async () => {
    server.use(http.post(`${base}/v1/jobs/job_1/cancel`, () => HttpResponse.json(makeJob({ status: "canceled" }))));
    expect((await client.jobs.cancel("job_1")).status).toBe("canceled");
  });

  it("cancel of a finished job throws job_already_terminal", async () => {
    server.use(http.post(`${base}/v1/jobs/job_1/cancel`, () => HttpResponse.json(problem(409, "job_already_terminal"), { status: 409 })));
    const error = await client.jobs.cancel("job_1").catch((e: unknown) => e);
    expect(isApiError(error, "job_already_terminal")).toBe(true);
  });

  it("list iterates every page lazily, passing filters and the cursor", async () => {
    const urls: URL[] = [];
    server.use(
      http.get(`${base}/v1/jobs`, ({ request }) => {
        const url = new URL(request.url);
        urls.push(url);
        const cursor = url.searchParams.get("cursor");
        if (!cursor) return HttpResponse.json({ data: [makeJob({ id: "a" }), makeJob({ id: "b" })], next_cursor: "c1" });
        if (cursor === "c1") return HttpResponse.json({ data: [makeJob({ id: "c" })], next_cursor: "c2" });
        return HttpResponse.json({ data: [], next_cursor: null });
      }),
    );
    const ids: string[] = [];
    for await (const job of client.jobs.list({ status: ["queued", "running"], type: "conformance.echo", limit: 2 })) {
      ids.push(job.id);
      if (ids.length === 1) expect(urls).toHaveLength(1); // lazily: page 2 not fetched yet
    }
    expect(ids).toEqual(["a", "b", "c"]);
    expect(urls).toHaveLength(3);
    expect(urls[0]!.searchParams.get("status")).toBe("queued,running");
    expect(urls[0]!.searchParams.get("type")).toBe("conformance.echo");
    expect(urls[0]!.searchParams.get("limit")).toBe("2");
    expect(urls[2]!.searchParams.get("cursor")).toBe("c2");
  });

  it("types returns the job types", async () => {
    server.use(
      http.get(`${base}/v1/job-types`, () =>
        HttpResponse.json({ data: [{ type: "conformance.echo", description: "d", input_schema: {}, result_schema: {} }] }),
      ),
    );
    expect((await client.jobs.types()).map((t) => t.type)).toEqual(["conformance.echo"]);
  });
});
