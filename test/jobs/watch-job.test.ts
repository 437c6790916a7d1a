import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createClient, type AsyncJobsClient } from "async-jobs";
import { awaitJob, createBaseClient, isTimeoutError, watchJob } from "async-jobs/jobs";
import { startReferenceServer, type ReferenceServer } from "../helpers/reference-server.ts";

// watchJob and awaitJob over the job stream of the real reference server (spec §2).

let server: ReferenceServer;
beforeAll(async () => {
  server = await startReferenceServer({ tenants: ["a"] });
}, 90_000);
afterAll(async () => server?.stop());

/** A fetch that records each request's headers and can change requests and answers on the way. */
function observedFetch(edit: { request?: (r: Request) => Request; response?: (r: Response, n: number) => Response } = {}) {
  const sent: Headers[] = [];
  const fetchFn: typeof fetch = async (input, init) => {
    let request = new Request(input as Request, init);
    if (edit.request) request = edit.request(request);
    sent.push(request.headers);
    const response = await fetch(request);
    return edit.response ? edit.response(response, sent.length) : response;
  };
  return { sent, fetch: fetchFn };
}

async function submitEcho(client: AsyncJobsClient, input: Record<string, unknown>) {
  return (await client.jobs.submit({ type: "conformance.echo", input })).job.id;
}

const distinctPercents = (jobs: { progress?: { percent?: number } | null }[]) =>
  jobs.map((j) => j.progress?.percent).filter((p, i, all) => p !== undefined && p !== all[i - 1]);

describe("watchJob against the reference server", () => {
  it("client.jobs.watch yields every change in order and ends with the terminal state", { timeout: 30_000 }, async () => {
    const client = createClient({ baseUrl: server.url, token: server.tokens.a! });
    const id = await submitEcho(client, { value: 5, duration_ms: 1000, progress_steps: 4 });
    const seen = [];
    for await (const job of client.jobs.watch(id)) seen.push(job);
    expect(seen.at(-1)!.status).toBe("succeeded");
    expect(distinctPercents(seen)).toEqual([25, 50, 75, 100]);
  });

  it("awaitJob over the stream: one request per job, onProgress on every change", { timeout: 30_000 }, async () => {
    const observed = observedFetch();
    const client = createBaseClient({ baseUrl: server.url, token: server.tokens.a!, fetch: observed.fetch });
    const submitter = createClient({ baseUrl: server.url, token: server.tokens.a! });
    const ids = await Promise.all([1, 2, 3].map((value) => submitEcho(submitter, { value, duration_ms: 800, progress_steps: 4 })));
    const progress: number[][] = [[], [], []];
    const jobs = await Promise.all(ids.map((id, i) => awaitJob(client, id, { onProgress: (j) => progress[i]!.push(j.progress?.percent ?? 0) })));
    expect(jobs.map((j) => j.result)).toEqual([{ value: 1 }, { value: 2 }, { value: 3 }]);
    expect(observed.sent).toHaveLength(3);
    for (const p of progress) expect(distinctPercents(p.map((percent) => ({ progress: { percent } })))).toEqual(expect.arrayContaining([25, 50, 75, 100]));
  });

  it("resumes a cut stream with Last-Event-ID: nothing lost, nothing repeated", { timeout: 30_000 }, async () => {
    // The first stream is cut after its second event; the watch reconnects by itself.
    const observed = observedFetch({
      response(response, n) {
        if (n !== 1 || !response.body) return response;
        let events = 0;
        const reader = response.body.getReader();
        const cut = new ReadableStream<Uint8Array>({
          async pull(controller) {
            const { value, done } = await reader.read();
            if (done) return controller.close();
            controller.enqueue(value);
            events += new TextDecoder().decode(value).split("event: job").length - 1;
            if (events >= 2) {
              await reader.cancel();
              controller.error(new TypeError("connection reset"));
            }
          },
        });
        return new Response(cut, { status: response.status, headers: response.headers });
      },
    });
    const client = createBaseClient({ baseUrl: server.url, token: server.tokens.a!, fetch: observed.fetch });
    const submitter = createClient({ baseUrl: server.url, token: server.tokens.a! });
    const id = await submitEcho(submitter, { value: 6, duration_ms: 1500, progress_steps: 5 });
    const seen = [];
    for await (const job of watchJob(client, id)) seen.push(job);
    expect(observed.sent.length).toBeGreaterThanOrEqual(2);
    expect(observed.sent[1]!.get("last-event-id")).toMatch(/^"\d+"$/);
    const stamps = seen.map((j) => `${j.status}/${j.progress?.percent}/${j.updated_at}`);
    expect(new Set(stamps).size).toBe(stamps.length);
    // Changes during the reconnect delay (the server's `retry:`) arrive coalesced: in order, none twice.
    // (Where the first event lands depends on how busy the machine is; only order and the end are fixed.)
    const percents = distinctPercents(seen);
    expect(percents).toEqual([...new Set(percents)].sort((a, b) => a! - b!));
    expect(percents.at(-1)).toBe(100);
    expect(seen.at(-1)!.status).toBe("succeeded");
  });

  it("falls back to long polls when the server answers JSON (no stream)", { timeout: 30_000 }, async () => {
    // Asking only for JSON makes the reference server answer as one that does not stream would.
    const jsonOnly = (r: Request) => {
      const headers = new Headers(r.headers);
      headers.set("accept", "application/json");
      return new Request(r, { headers });
    };
    const observed = observedFetch({ request: jsonOnly });
    const client = createBaseClient({ baseUrl: server.url, token: server.tokens.a!, fetch: observed.fetch });
    const submitter = createClient({ baseUrl: server.url, token: server.tokens.a! });
    const id = await submitEcho(submitter, { value: 7, duration_ms: 800, progress_steps: 2 });
    const seen = [];
    for await (const job of watchJob(client, id)) seen.push(job);
    expect(seen.at(-1)!.status).toBe("succeeded");
    expect(distinctPercents(seen)).toEqual([50, 100]);
    expect(observed.sent.slice(1).every((h) => h.get("prefer") === "wait=20" && h.get("if-none-match"))).toBe(true);
    const other = await submitEcho(submitter, { value: 8, duration_ms: 300 });
    const before = observed.sent.length;
    expect((await awaitJob(client, other)).result).toEqual({ value: 8 });
    // The first read was the stream probe and a long poll at once: no extra request.
    expect(observed.sent.length - before).toBeLessThanOrEqual(2);
    expect(observed.sent[before]!.get("prefer")).toBe("wait=20");
  });

  it("awaitJob's deadline ends a wait over the stream with TimeoutError and the last job seen", { timeout: 30_000 }, async () => {
    const client = createClient({ baseUrl: server.url, token: server.tokens.a! });
    const id = await submitEcho(client, { value: 10, duration_ms: 60_000 });
    const started = Date.now();
    const error = await awaitJob(client, id, { deadlineMs: 500 }).catch((e: unknown) => e);
    expect(isTimeoutError(error)).toBe(true);
    expect((error as { lastJob?: { id: string } }).lastJob?.id).toBe(id);
    expect(Date.now() - started).toBeLessThan(3_000);
    await client.jobs.cancel(id);
  });

  it("an abort ends the watch at once with the signal's reason", { timeout: 30_000 }, async () => {
    const client = createClient({ baseUrl: server.url, token: server.tokens.a! });
    const id = await submitEcho(client, { value: 9, duration_ms: 60_000 });
    const controller = new AbortController();
    const seen = [];
    const started = Date.now();
    const outcome = await (async () => {
      for await (const job of client.jobs.watch(id, { signal: controller.signal })) {
        seen.push(job);
        setTimeout(() => controller.abort(new Error("enough")), 50);
      }
    })().catch((e: Error) => e);
    expect((outcome as Error).message).toBe("enough");
    expect(seen.length).toBeGreaterThanOrEqual(1);
    expect(Date.now() - started).toBeLessThan(5_000);
    await client.jobs.cancel(id);
  });
});
