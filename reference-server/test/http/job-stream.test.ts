import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { OTHER_TOKEN, TOKEN, startTestServer, type TestServer } from "../support/test-server.ts";

// Raw HTTP (fetch, no SDK, no shared parser): what a job stream sends (spec §2, "Watching a job").

interface RawEvent {
  event?: string;
  id?: string;
  data?: string;
  retry?: string;
}

/** Reads a stream block by block (blank-line separated) until the server ends it; comments are kept as `{}`. */
async function* readEvents(response: Response): AsyncGenerator<RawEvent> {
  const reader = response.body!.pipeThrough(new TextDecoderStream()).getReader();
  let buffer = "";
  for (;;) {
    const { value, done } = await reader.read();
    if (done) return;
    buffer += value;
    let end: number;
    while ((end = buffer.indexOf("\n\n")) >= 0) {
      const block = buffer.slice(0, end);
      buffer = buffer.slice(end + 2);
      const event: RawEvent = {};
      for (const line of block.split("\n")) {
        const colon = line.indexOf(":");
        if (colon === 0) continue;
        (event as Record<string, string>)[line.slice(0, colon)] = line.slice(colon + 1).trimStart();
      }
      yield event;
    }
  }
}

function openStream(t: TestServer, id: string, headers: Record<string, string> = {}, signal?: AbortSignal) {
  return fetch(`${t.url}/v1/jobs/${id}`, {
    headers: { authorization: `Bearer ${TOKEN}`, accept: "text/event-stream", ...headers },
    signal,
  });
}

async function submitEcho(t: TestServer, input: Record<string, unknown>) {
  const { status, body } = await t.request("POST", "/v1/jobs", { body: { type: "conformance.echo", input } });
  expect(status).toBe(202);
  return body.id as string;
}

/** The job events of a whole stream, plus whether the server ended it. */
async function collect(response: Response | AsyncGenerator<RawEvent>, stopAfter?: (job: any) => boolean) {
  const jobs: { id: string; job: any }[] = [];
  for await (const e of response instanceof Response ? readEvents(response) : response) {
    if (e.event !== "job") continue;
    const job = JSON.parse(e.data!);
    jobs.push({ id: e.id!, job });
    if (stopAfter?.(job)) return { jobs, ended: false };
  }
  return { jobs, ended: true };
}

/** The progress percents in the order they changed (the terminal job keeps the last one). */
const percents = (jobs: { job: any }[]) =>
  jobs.map((e) => e.job.progress?.percent).filter((p, i, all) => p !== undefined && p !== all[i - 1]);

describe("job stream (raw HTTP)", () => {
  let t: TestServer;
  beforeAll(async () => {
    t = await startTestServer();
  });
  afterAll(() => t.close());

  it("sends the current job at once, every progress change in order, the terminal event, then ends", { timeout: 30_000 }, async () => {
    const id = await submitEcho(t, { value: 7, duration_ms: 1500, progress_steps: 5 });
    const response = await openStream(t, id);
    expect(response.status).toBe(200);
    expect(response.headers.get("content-type")).toMatch(/^text\/event-stream/);
    expect(response.headers.get("vary")).toMatch(/Accept/);
    expect(response.headers.get("x-request-id")).toMatch(/.+/);
    expect(response.headers.get("cache-control")).toMatch(/no-cache/);
    const events = readEvents(response);
    // The stream opens with the suggested reconnect delay.
    expect((await events.next()).value).toEqual({ retry: "1000" });
    const { jobs, ended } = await collect(events);
    expect(ended).toBe(true);
    expect(jobs[0]!.job.id).toBe(id);
    expect(["queued", "running"]).toContain(jobs[0]!.job.status);
    expect(percents(jobs)).toEqual(expect.arrayContaining([20, 40, 60, 80, 100]));
    expect(percents(jobs)).toEqual([...percents(jobs)].sort((a, b) => a - b));
    const last = jobs.at(-1)!.job;
    expect(last.status).toBe("succeeded");
    expect(last.result).toEqual({ value: 7 });
    // Every id is the ETag of the job it carries, strictly newer than the one before.
    const versions = jobs.map((e) => Number(JSON.parse(e.id)));
    expect(versions).toEqual([...new Set(versions)].sort((a, b) => a - b));
    const { headers } = await t.request("GET", `/v1/jobs/${id}`);
    expect(jobs.at(-1)!.id).toBe(headers.get("etag"));
  });

  it("resumes with Last-Event-ID mid-way: nothing lost, nothing repeated", { timeout: 30_000 }, async () => {
    const id = await submitEcho(t, { value: 1, duration_ms: 1500, progress_steps: 5 });
    const controller = new AbortController();
    const firstHalf = await collect(await openStream(t, id, {}, controller.signal), (job) => job.progress?.percent === 40);
    controller.abort();
    expect(firstHalf.ended).toBe(false);
    const lastId = firstHalf.jobs.at(-1)!.id;
    const secondHalf = await collect(await openStream(t, id, { "last-event-id": lastId }));
    expect(secondHalf.ended).toBe(true);
    const all = [...firstHalf.jobs, ...secondHalf.jobs];
    const ids = all.map((e) => e.id);
    expect(new Set(ids).size).toBe(ids.length);
    expect(percents(all)).toEqual([20, 40, 60, 80, 100]);
    expect(all.at(-1)!.job.status).toBe("succeeded");
  });

  it("on a terminal job: the terminal event for a stale Last-Event-ID, nothing for the current one", async () => {
    const id = await submitEcho(t, { value: 2 });
    const done = await t.request("GET", `/v1/jobs/${id}`, { headers: { prefer: "wait=10" } });
    expect(done.body.status).toBe("succeeded");
    const etag = done.headers.get("etag")!;
    const stale = await collect(await openStream(t, id, { "last-event-id": '"1"' }));
    expect(stale).toEqual({ ended: true, jobs: [{ id: etag, job: done.body }] });
    const current = await collect(await openStream(t, id, { "last-event-id": etag }));
    expect(current).toEqual({ ended: true, jobs: [] });
    const fresh = await collect(await openStream(t, id));
    expect(fresh.jobs.map((e) => e.id)).toEqual([etag]);
  });

  it("keeps tenants apart (404) and answers JSON to a client that does not ask for the stream", async () => {
    const id = await submitEcho(t, { value: 3 });
    const other = await openStream(t, id, { authorization: `Bearer ${OTHER_TOKEN}` });
    expect(other.status).toBe(404);
    expect(other.headers.get("content-type")).toMatch(/^application\/problem\+json/);
    const json = await t.request("GET", `/v1/jobs/${id}`, { headers: { accept: "application/json" } });
    expect(json.status).toBe(200);
    expect(json.headers.get("content-type")).toMatch(/^application\/json/);
    expect(json.headers.get("vary")).toMatch(/Accept/);
    const unauthenticated = await openStream(t, id, { authorization: "Bearer nope" });
    expect(unauthenticated.status).toBe(401);
  });
});

describe("job stream caps", () => {
  let t: TestServer;
  beforeAll(async () => {
    t = await startTestServer(["--no-worker", "--max-held-waits-per-tenant", "1"]);
  });
  afterAll(() => t.close());

  it("answers JSON past the per-tenant cap, and streams again once a slot is free", async () => {
    const id = await submitEcho(t, { value: 4 });
    const controller = new AbortController();
    const held = await openStream(t, id, {}, controller.signal);
    expect(held.headers.get("content-type")).toMatch(/^text\/event-stream/);
    const refused = await openStream(t, id);
    expect(refused.status).toBe(200);
    expect(refused.headers.get("content-type")).toMatch(/^application\/json/);
    expect((await refused.json()).id).toBe(id);
    controller.abort();
    // The slot comes back once the server sees the client leave.
    let again: Response | undefined;
    for (let i = 0; i < 50; i++) {
      again = await openStream(t, id, {}, AbortSignal.timeout(5000));
      if (again.headers.get("content-type")?.startsWith("text/event-stream")) break;
      await again.body?.cancel();
      await new Promise((r) => setTimeout(r, 50));
    }
    expect(again!.headers.get("content-type")).toMatch(/^text\/event-stream/);
    await again!.body!.cancel();
  });
});
