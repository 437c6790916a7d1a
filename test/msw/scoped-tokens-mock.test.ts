import { createClient, isApiError, type Job } from "async-jobs";
import { createJobsMock, type JobsMock } from "async-jobs/msw";
import { uploadFile } from "async-jobs/uploads";
import { http, HttpResponse } from "msw";
import { setupServer } from "msw/node";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";

// The mock's scoped tokens (spec §8.3) and many-jobs stream (§8.2.1), through the SDK.
const server = setupServer();
beforeAll(() => server.listen({ onUnhandledRequest: "error" }));
afterEach(() => server.resetHandlers());
afterAll(() => server.close());

const baseUrl = "http://jobs.test";
function start(): JobsMock {
  const mock = createJobsMock({ baseUrl, tokens: { tok_a: "a", tok_b: "b" }, time: "auto", minPartSize: 1 });
  server.use(...mock.handlers);
  return mock;
}

describe("msw mock: scoped tokens and watchMany", () => {
  it("a job token watches its jobs over one stream, and nothing else", async () => {
    start();
    const tenant = createClient({ baseUrl, token: "tok_a" });
    const ids = await Promise.all([1, 2].map(async (value) => (await tenant.jobs.submit({ type: "conformance.echo", input: { value, duration_ms: 2000 * value, progress_steps: 2 } })).job.id));
    const other = (await tenant.jobs.submit({ type: "conformance.echo", input: { value: 3 } })).job.id;
    const { token } = await tenant.jobs.createToken(ids);
    const browser = createClient({ baseUrl, token });
    const seen: Job[] = [];
    for await (const job of browser.jobs.watchMany({ ids })) seen.push(job);
    for (const id of ids) {
      expect(seen.filter((j) => j.id === id).at(-1)!.status).toBe("succeeded");
      expect(seen.filter((j) => j.id === id && j.status === "succeeded")).toHaveLength(1);
      const percents = seen.filter((j) => j.id === id).map((j) => j.progress?.percent ?? 0);
      expect(percents).toEqual([...percents].sort((x, y) => x - y));
      expect(percents).toContain(50);
    }
    expect(await browser.jobs.get(other).catch((e) => isApiError(e, "not_found"))).toBe(true);
    expect(await browser.jobs.cancel(ids[0]!).catch((e) => isApiError(e, "not_found"))).toBe(true);
    expect(await browser.jobs.submit({ type: "conformance.echo", input: { value: 1 } }).catch((e) => isApiError(e, "unauthorized"))).toBe(true);
    expect(await browser.jobs.createToken(ids).catch((e) => isApiError(e, "unauthorized"))).toBe(true);
    // Another tenant's job cannot be named.
    const theirs = (await createClient({ baseUrl, token: "tok_b" }).jobs.submit({ type: "conformance.echo", input: { value: 1 } })).job.id;
    expect(await tenant.jobs.createToken([theirs]).catch((e) => isApiError(e, "not_found"))).toBe(true);
  });

  it("an upload token drives its upload; an expired token is 401", async () => {
    const mock = start();
    const tenant = createClient({ baseUrl, token: "tok_a" });
    const bytes = new TextEncoder().encode("scoped upload in the mock");
    const created = await fetch(`${baseUrl}/v1/uploads`, {
      method: "POST",
      headers: { authorization: "Bearer tok_a", "content-type": "application/json" },
      body: JSON.stringify({ filename: "a.txt", content_type: "text/plain", size: bytes.byteLength }),
    }).then((r) => r.json() as Promise<{ id: string }>);
    const { token } = await tenant.uploads.createToken(created.id, { ttlSeconds: 60 });
    const page = createClient({ baseUrl, token });
    expect(await uploadFile(page, bytes, { resume: created.id })).toMatchObject({ id: created.id, status: "completed" });
    expect((await fetch(`${baseUrl}/v1/uploads/${created.id}`, { method: "DELETE", headers: { authorization: `Bearer ${token}` } })).status).toBe(404);
    mock.advance(61_000);
    const expired = await fetch(`${baseUrl}/v1/uploads/${created.id}`, { headers: { authorization: `Bearer ${token}` } });
    expect(expired.status).toBe(401);
  });

  it("resumes a many-jobs stream per job from Last-Event-ID (raw fetch)", async () => {
    start();
    const tenant = createClient({ baseUrl, token: "tok_a" });
    const [a, b] = await Promise.all([1, 2].map(async (value) => (await tenant.jobs.submit({ type: "conformance.echo", input: { value, duration_ms: 100 } })).job.id));
    await tenant.jobs.wait(a!);
    await tenant.jobs.wait(b!);
    const first = await (await fetch(`${baseUrl}/v1/jobs-stream?ids=${a},${b}`, { headers: { authorization: "Bearer tok_a" } })).text();
    const idOf = (id: string) => new RegExp(`^id: (${id} "\\d+")$`, "m").exec(first)![1]!;
    const resumed = await (await fetch(`${baseUrl}/v1/jobs-stream?ids=${a},${b}`, { headers: { authorization: "Bearer tok_a", "last-event-id": idOf(a!) } })).text();
    expect(resumed.match(/^event: job$/gm)).toHaveLength(1);
    expect(resumed).toContain(`id: ${idOf(b!)}`);
  });

  it("watchMany falls back to one stream per job on a server without the many-jobs stream (404)", async () => {
    start();
    const streamRequests: string[] = [];
    // A server of before §8.2.1: no such route. Put in front of the mock's own handlers.
    server.use(
      http.get(`${baseUrl}/v1/jobs-stream`, () =>
        HttpResponse.json({ type: "https://async-jobs.dev/problems/not_found", title: "Not found", status: 404, code: "not_found" }, { status: 404, headers: { "content-type": "application/problem+json" } }),
      ),
    );
    const tenant = createClient({
      baseUrl,
      token: "tok_a",
      fetch: (input, init) => {
        const request = new Request(input as Request, init);
        if (request.method === "GET") streamRequests.push(new URL(request.url).pathname);
        return fetch(request);
      },
    });
    const ids = await Promise.all([1, 2].map(async (value) => (await tenant.jobs.submit({ type: "conformance.echo", input: { value, duration_ms: 500 } })).job.id));
    const done = new Set<string>();
    for await (const job of tenant.jobs.watchMany({ ids })) if (job.status === "succeeded") done.add(job.id);
    expect(done).toEqual(new Set(ids));
    expect(streamRequests[0]).toBe("/v1/jobs-stream");
    expect(new Set(streamRequests.slice(1))).toEqual(new Set(ids.map((id) => `/v1/jobs/${id}`)));
  });
});
