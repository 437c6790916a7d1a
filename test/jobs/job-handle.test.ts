import { http, HttpResponse } from "msw";
import { afterEach, describe, expect, it } from "vitest";
import { createClient, type JobHandleState } from "async-jobs";
import { createHandlerFetch } from "../helpers/handler-fetch.ts";
import { makeJob, testBaseUrl as base } from "../helpers/job-fixture.ts";
import { recordingClock } from "../client/recording-clock.ts";

// Durable job handles through msw behind ClientOptions.fetch and an injected clock (no globals):
// the state is saved before the submit leaves, it is small JSON, and a resumed handle sends the
// same key and body again or carries on waiting at the pace it had. The crash cases with real
// processes and the reference server are in test/jobs/job-handle-process.test.ts.
const server = createHandlerFetch();
afterEach(() => server.resetHandlers());

/** A server that makes job_h on the first key it sees and replays it for that key after. */
function serveJobs(finalStatus: "running" | "succeeded" = "succeeded") {
  const submits: Array<{ key: string | null; body: unknown }> = [];
  const gets: number[] = [];
  server.use(
    http.post(`${base}/v1/jobs`, async ({ request }) => {
      submits.push({ key: request.headers.get("idempotency-key"), body: await request.json() });
      return HttpResponse.json(makeJob({ id: "job_h" }), { status: 202, headers: { "retry-after": "1", ...(submits.length > 1 ? { "idempotent-replayed": "true" } : {}) } });
    }),
    http.get(`${base}/v1/jobs/job_h`, () => {
      gets.push(gets.length);
      return HttpResponse.json(makeJob({ id: "job_h", status: finalStatus, result: { value: 1 }, completed_at: "x" }), { headers: { etag: '"2"', "retry-after": "1" } });
    }),
  );
  return { submits, gets };
}

describe("job handles", () => {
  it("prepare: onState has the key and the request before the submit is sent, then the id; toJSON is small JSON", async () => {
    const { submits } = serveJobs();
    const client = createClient({ baseUrl: base, token: "t", fetch: server.fetch });
    const saved: Array<JobHandleState & { submitsSoFar: number }> = [];
    const handle = client.jobs.prepare(
      { type: "conformance.echo", input: { value: 1 } },
      { idempotencyKey: "key-1", onState: (s) => void saved.push({ ...s, submitsSoFar: submits.length }) },
    );
    expect(handle.id).toBeUndefined();
    expect(submits).toEqual([]); // nothing sent before submit()/wait()
    const job = await handle.wait();
    expect(job).toMatchObject({ id: "job_h", status: "succeeded" });
    expect(saved[0]).toEqual({ v: 1, baseUrl: base, idempotencyKey: "key-1", request: { type: "conformance.echo", input: { value: 1 } }, submitsSoFar: 0 });
    expect(saved[1]).toEqual({ v: 1, baseUrl: base, idempotencyKey: "key-1", id: "job_h", submitsSoFar: 1 });
    expect(submits).toEqual([{ key: '"key-1"', body: { type: "conformance.echo", input: { value: 1 } } }]);
    expect(handle.toJSON()).toMatchObject({ id: "job_h", idempotencyKey: "key-1", baseUrl: base });
    expect(JSON.stringify(handle.toJSON()).length).toBeLessThan(200);
  });

  it("resume before the 202 was read: sends the same key and body again, once", async () => {
    const { submits } = serveJobs();
    const client = createClient({ baseUrl: base, token: "t", fetch: server.fetch });
    let saved: JobHandleState | undefined;
    client.jobs.prepare({ type: "conformance.echo", input: { value: 2 } }, { onState: (s) => void (saved = s) }).toJSON();
    const state = client.jobs.prepare({ type: "conformance.echo", input: { value: 2 } }, { idempotencyKey: "key-2" }).toJSON();
    expect(saved).toBeUndefined(); // prepare alone saves nothing
    const resumed = client.jobs.resume(JSON.parse(JSON.stringify(state)) as JobHandleState);
    await expect(resumed.wait()).resolves.toMatchObject({ id: "job_h" });
    expect(submits).toEqual([{ key: '"key-2"', body: { type: "conformance.echo", input: { value: 2 } } }]);
    expect(resumed.id).toBe("job_h");
  });

  it("resume after the 202: no submit at all; a plain-polling wait keeps its next poll time", async () => {
    const { submits, gets } = serveJobs();
    const { clock, sleeps, now } = recordingClock();
    const client = createClient({ baseUrl: base, token: "t", fetch: server.fetch, clock });
    const state: JobHandleState = { v: 1, baseUrl: base, idempotencyKey: "key-3", id: "job_h", etag: '"1"', nextPollAt: now() + 4_000 };
    await expect(client.jobs.resume(state).wait()).resolves.toMatchObject({ id: "job_h", status: "succeeded" });
    expect(submits).toEqual([]);
    expect(gets.length).toBe(1);
    expect(sleeps[0]).toBe(4_000); // the pace the first process had, not a poll at once
  });

  it("refuses a state of another server or one that is not a handle", () => {
    const client = createClient({ baseUrl: base, token: "t", fetch: server.fetch });
    expect(() => client.jobs.resume({ v: 1, baseUrl: "http://other.test", idempotencyKey: "k", id: "job_h" })).toThrow(/other\.test/);
    expect(() => client.jobs.resume({ v: 1, baseUrl: base, idempotencyKey: "k" })).toThrow(TypeError);
  });
});
