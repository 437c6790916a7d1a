import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { OTHER_TOKEN, TOKEN, startTestServer, type TestServer } from "../support/test-server.ts";

// Raw HTTP (fetch, no SDK, own parsing): a stream over many jobs (spec §8.2.1).

interface JobEvent {
  id: string;
  job: any;
}

/** The job events of a response until the server ends it, or until `stop` says so. */
async function jobEvents(response: Response, stop?: (events: JobEvent[]) => boolean): Promise<{ events: JobEvent[]; ended: boolean; retry?: string }> {
  const reader = response.body!.pipeThrough(new TextDecoderStream()).getReader();
  const events: JobEvent[] = [];
  let buffer = "";
  let retry: string | undefined;
  for (;;) {
    const { value, done } = await reader.read();
    if (done) return { events, ended: true, retry };
    buffer += value;
    let end: number;
    while ((end = buffer.indexOf("\n\n")) >= 0) {
      const block = buffer.slice(0, end);
      buffer = buffer.slice(end + 2);
      retry ??= /^retry: (.*)$/m.exec(block)?.[1];
      if (!block.startsWith("event: job")) continue;
      events.push({ id: /^id: (.*)$/m.exec(block)![1]!, job: JSON.parse(/^data: (.*)$/m.exec(block)![1]!) });
      if (stop?.(events)) {
        await reader.cancel();
        return { events, ended: false, retry };
      }
    }
  }
}

function openMany(t: TestServer, query: string, headers: Record<string, string> = {}, token = TOKEN) {
  return fetch(`${t.url}/v1/jobs-stream?${query}`, { headers: { authorization: `Bearer ${token}`, accept: "text/event-stream", ...headers } });
}

async function submitEcho(t: TestServer, input: Record<string, unknown>, token = TOKEN) {
  const { status, body } = await t.request("POST", "/v1/jobs", { body: { type: "conformance.echo", input }, token });
  expect(status).toBe(202);
  return body.id as string;
}

const terminal = (job: any) => ["succeeded", "failed", "canceled"].includes(job.status);

describe("many-jobs stream (raw HTTP)", () => {
  let t: TestServer;
  beforeAll(async () => {
    t = await startTestServer();
  });
  afterAll(() => t.close());

  it("multiplexes every job's changes in order, each terminal event once, then ends", { timeout: 30_000 }, async () => {
    const a = await submitEcho(t, { value: "a", duration_ms: 900, progress_steps: 3 });
    const b = await submitEcho(t, { value: "b", duration_ms: 300 });
    const response = await openMany(t, `ids=${a},${b}`);
    expect(response.status).toBe(200);
    expect(response.headers.get("content-type")).toMatch(/^text\/event-stream/);
    expect(response.headers.get("cache-control")).toMatch(/no-cache/);
    const { events, ended, retry } = await jobEvents(response);
    expect(ended).toBe(true);
    expect(retry).toMatch(/^\d+$/);
    for (const id of [a, b]) {
      const mine = events.filter((e) => e.job.id === id);
      expect(mine.length).toBeGreaterThanOrEqual(2);
      // Each event's id is "<job id> <ETag>"; versions only go up; exactly one terminal event, last.
      const versions = mine.map((e) => {
        expect(e.id).toMatch(new RegExp(`^${id} "\\d+"$`));
        return Number(/"(\d+)"/.exec(e.id)![1]);
      });
      expect(versions).toEqual([...new Set(versions)].sort((x, y) => x - y));
      expect(mine.filter((e) => terminal(e.job))).toHaveLength(1);
      expect(terminal(mine.at(-1)!.job)).toBe(true);
    }
    const percents = events.filter((e) => e.job.id === a).map((e) => e.job.progress?.percent ?? 0);
    expect(percents).toEqual([...percents].sort((x, y) => x - y));
  });

  it("resumes each job from its pair in Last-Event-ID: nothing lost, nothing repeated, terminal once", { timeout: 30_000 }, async () => {
    const a = await submitEcho(t, { value: "a", duration_ms: 1200, progress_steps: 4 });
    const b = await submitEcho(t, { value: "b", duration_ms: 200 });
    // First connection: until b is terminal and a has shown some event, then drop.
    const first = await jobEvents(await openMany(t, `ids=${a},${b}`), (events) => events.some((e) => e.job.id === b && terminal(e.job)) && events.some((e) => e.job.id === a));
    expect(first.ended).toBe(false);
    const lastOf = (id: string) => first.events.filter((e) => e.job.id === id).at(-1)!;
    // Resume both (b is terminal and known: the server sends nothing for it).
    const resumed = await jobEvents(await openMany(t, `ids=${a},${b}`, { "last-event-id": `${lastOf(a).id}, ${lastOf(b).id}` }));
    expect(resumed.ended).toBe(true);
    expect(resumed.events.filter((e) => e.job.id === b)).toEqual([]);
    const all = [...first.events, ...resumed.events].filter((e) => e.job.id === a);
    expect(new Set(all.map((e) => e.id)).size).toBe(all.length);
    expect(all.filter((e) => terminal(e.job))).toHaveLength(1);
    expect(terminal(all.at(-1)!.job)).toBe(true);

    // All listed jobs terminal and known: the stream ends at once, empty.
    const done = await jobEvents(await openMany(t, `ids=${a},${b}`, { "last-event-id": `${all.at(-1)!.id}, ${lastOf(b).id}` }));
    expect(done).toMatchObject({ events: [], ended: true });
    // Without Last-Event-ID: the current representation of each, then the end.
    const fresh = await jobEvents(await openMany(t, `ids=${a},${b}`));
    expect(fresh.events.map((e) => e.job.id).sort()).toEqual([a, b].sort());
  });

  it("selects by filter when it opens (status, type), at most the newest 100", { timeout: 30_000 }, async () => {
    const other = await startTestServer();
    try {
      const slow = await submitEcho(other, { value: 1, duration_ms: 400 });
      const slower = await submitEcho(other, { value: 2, duration_ms: 600 });
      const { events, ended } = await jobEvents(await openMany(other, "status=queued,running&type=conformance.echo"));
      expect(ended).toBe(true);
      expect(new Set(events.map((e) => e.job.id))).toEqual(new Set([slow, slower]));
      // Nothing active any more: an empty set ends at once.
      expect(await jobEvents(await openMany(other, "status=queued,running"))).toMatchObject({ events: [], ended: true });
    } finally {
      await other.close();
    }
  });

  it("is 404 for an unknown id or another tenant's job, before any event; 400 past 100 ids; 401 without a token", async () => {
    const mine = await submitEcho(t, { value: 1 });
    const theirs = await submitEcho(t, { value: 1 }, OTHER_TOKEN);
    for (const query of [`ids=${mine},${theirs}`, `ids=${mine},job_unknown`]) {
      const response = await openMany(t, query);
      expect(response.status).toBe(404);
      expect(response.headers.get("content-type")).toMatch(/^application\/problem\+json/);
      expect((await response.json()).code).toBe("not_found");
    }
    const tooMany = await openMany(t, `ids=${Array.from({ length: 101 }, (_, i) => `job_${i}`).join(",")}`);
    expect(tooMany.status).toBe(400);
    await tooMany.body?.cancel();
    const anonymous = await fetch(`${t.url}/v1/jobs-stream?ids=${mine}`);
    expect(anonymous.status).toBe(401);
    await anonymous.body?.cancel();
  });
});

describe("many-jobs stream caps", () => {
  it("shares the per-tenant cap with one-job streams: past it, 503 with Retry-After", { timeout: 30_000 }, async () => {
    const t = await startTestServer(["--max-held-waits-per-tenant", "2"]);
    try {
      const id = await submitEcho(t, { value: 1, duration_ms: 10_000 });
      const one = await fetch(`${t.url}/v1/jobs/${id}`, { headers: { authorization: `Bearer ${TOKEN}`, accept: "text/event-stream" } });
      expect(one.headers.get("content-type")).toMatch(/^text\/event-stream/);
      const many = await openMany(t, `ids=${id}`);
      expect(many.status).toBe(200);
      const refused = await openMany(t, `ids=${id}`);
      expect(refused.status).toBe(503);
      expect(refused.headers.get("retry-after")).toMatch(/^\d+$/);
      await refused.body?.cancel();
      // And a one-job stream past the shared cap answers the JSON (spec §8.2).
      const json = await fetch(`${t.url}/v1/jobs/${id}`, { headers: { authorization: `Bearer ${TOKEN}`, accept: "text/event-stream, application/json" } });
      expect(json.headers.get("content-type")).toMatch(/^application\/json/);
      await json.body?.cancel();
      await one.body!.cancel();
      await many.body!.cancel();
    } finally {
      await t.close();
    }
  });
});
