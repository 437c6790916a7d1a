import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startReferenceServer, type ReferenceServer } from "../../../test/helpers/reference-server.ts";
import { TOKEN, startTestServer, type TestServer } from "../support/test-server.ts";

// Two server processes on one SQLite file: a change committed by the other process reaches the
// stream through the store's change notifier (spec §2, "Watching a job").

let api: TestServer; // this process: API only, the stream is opened here
let other: ReferenceServer; // the other process: API + worker

beforeAll(async () => {
  api = await startTestServer(["--no-worker"]);
  other = await startReferenceServer({
    store: `sqlite:${join(api.dir, "jobs.db")}`,
    args: ["--blob-dir", join(api.dir, "blobs"), "--tokens", `${TOKEN}:acme`],
  });
}, 60_000);

afterAll(async () => {
  await other?.stop();
  await api?.close();
});

/** The job events of a stream until the server ends it (independent, minimal parsing). */
async function jobEvents(response: Response): Promise<any[]> {
  const text = await response.text();
  return text
    .split("\n\n")
    .filter((block) => block.startsWith("event: job"))
    .map((block) => JSON.parse(/^data: (.*)$/m.exec(block)![1]!));
}

const stream = (id: string) => fetch(`${api.url}/v1/jobs/${id}`, { headers: { authorization: `Bearer ${TOKEN}`, accept: "text/event-stream" } });

describe("job stream across processes", () => {
  it("sees every progress change and the end of a job run by the other process's worker", { timeout: 60_000 }, async () => {
    const { body } = await api.request("POST", "/v1/jobs", { body: { type: "conformance.echo", input: { value: 1, duration_ms: 1500, progress_steps: 3 } } });
    const jobs = await jobEvents(await stream(body.id));
    const percents = jobs.map((j) => j.progress?.percent).filter((p, i, all) => p !== undefined && p !== all[i - 1]);
    expect(percents).toEqual([33, 66, 100]);
    expect(jobs.at(-1).status).toBe("succeeded");
  });

  it("ends with the canceled job when the other process cancels it", { timeout: 60_000 }, async () => {
    const { body } = await api.request("POST", "/v1/jobs", { body: { type: "conformance.echo", input: { value: 2, duration_ms: 60_000 } } });
    const events = jobEvents(await stream(body.id));
    await new Promise((r) => setTimeout(r, 300));
    const cancel = await fetch(`${other.url}/v1/jobs/${body.id}/cancel`, { method: "POST", headers: { authorization: `Bearer ${TOKEN}` } });
    expect(cancel.status).toBeLessThan(300);
    const jobs = await events;
    expect(jobs.at(-1).status).toBe("canceled");
  });
});
