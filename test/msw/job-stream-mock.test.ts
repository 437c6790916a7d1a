import { createClient } from "async-jobs";
import { createJobsMock, type JobsMock, type JobsMockOptions } from "async-jobs/msw";
import type { Job } from "async-jobs/types";
import { setupServer } from "msw/node";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";

// The mock's job stream (spec §2, "Watching a job") over raw fetch, and the SDK reading it.
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
const auth = { authorization: "Bearer tenant-a" };
async function submitEcho(input: unknown): Promise<Job> {
  const response = await fetch(`${base}/v1/jobs`, {
    method: "POST",
    headers: { ...auth, "content-type": "application/json" },
    body: JSON.stringify({ type: "conformance.echo", input }),
  });
  return (await response.json()) as Job;
}

/** Every block of a stream until it ends. */
async function blocks(response: Response): Promise<string[]> {
  return (await response.text()).split("\n\n").filter(Boolean);
}

describe("msw mock job stream", () => {
  it("streams the job, each change in order and the end, in auto time", async () => {
    start({ time: "auto" });
    const job = await submitEcho({ value: 1, duration_ms: 4000, progress_steps: 4 });
    const response = await fetch(`${base}/v1/jobs/${job.id}`, { headers: { ...auth, accept: "text/event-stream, application/json" } });
    expect(response.headers.get("content-type")).toMatch(/^text\/event-stream/);
    expect(response.headers.get("vary")).toBe("Prefer, Accept");
    const all = await blocks(response);
    expect(all[0]).toBe("retry: 1000");
    const jobs = all.slice(1).map((b) => JSON.parse(/^data: (.*)$/m.exec(b)![1]!) as Job);
    const ids = all.slice(1).map((b) => /^id: (.*)$/m.exec(b)![1]!);
    expect(new Set(ids).size).toBe(ids.length);
    expect(jobs.map((j) => j.progress?.percent).filter((p, i, a) => p !== undefined && p !== a[i - 1])).toEqual([25, 50, 75, 100]);
    expect(jobs.at(-1)).toMatchObject({ status: "succeeded", result: { value: 1 } });
  });

  it("Last-Event-ID: the current terminal ETag ends the stream at once; a stale one gets the terminal event", async () => {
    start({ time: "auto" });
    const job = await submitEcho({ value: 2, duration_ms: 1000 });
    const done = await fetch(`${base}/v1/jobs/${job.id}`, { headers: { ...auth, prefer: "wait=10" } });
    const etag = done.headers.get("etag")!;
    const current = await fetch(`${base}/v1/jobs/${job.id}`, { headers: { ...auth, accept: "text/event-stream", "last-event-id": etag } });
    expect(await blocks(current)).toEqual(["retry: 1000"]);
    const stale = await fetch(`${base}/v1/jobs/${job.id}`, { headers: { ...auth, accept: "text/event-stream", "last-event-id": '"1"' } });
    const staleBlocks = await blocks(stale);
    expect(staleBlocks).toHaveLength(2);
    expect(staleBlocks[1]).toContain(`id: ${etag}`);
  });

  it("the SDK watches and awaits over the mock's stream in manual time", async () => {
    const mock = start({ time: "manual" });
    const client = createClient({ baseUrl: base, token: "tenant-a" });
    const job = await submitEcho({ value: 3, duration_ms: 2000, progress_steps: 2 });
    const seen: Job[] = [];
    const watching = (async () => {
      for await (const j of client.jobs.watch(job.id)) seen.push(j);
    })();
    const awaited = client.jobs.wait(job.id);
    await new Promise((r) => setTimeout(r, 20));
    mock.advance(1000);
    await new Promise((r) => setTimeout(r, 20));
    mock.advance(1000);
    await watching;
    expect((await awaited).result).toEqual({ value: 3 });
    expect(seen.map((j) => j.progress?.percent ?? null)).toEqual([null, 50, 100]);
    expect(seen.at(-1)!.status).toBe("succeeded");
  });
});
