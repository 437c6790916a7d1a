import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { FastifyInstance } from "fastify";
import { createChangeNotifier } from "../../src/change-notifier.ts";
import { createApp } from "../../src/http/create-app.ts";
import { createJobHandlers } from "../../src/http/job-handlers.ts";
import { conformanceEcho, createJobTypeRegistry } from "../../src/job-types/index.ts";
import { openJobStore } from "../../src/store/open-job-store.ts";
import type { JobStore } from "../../src/store/job-store.ts";

// Heartbeats and the shutdown of a job stream, with a short heartbeat gap and a short idle
// timeout: a quiet stream outlives the server's idle connection timeout (spec §2.4).

let dir: string;
let store: JobStore;
let app: FastifyInstance;
let url: string;
const closing = new AbortController();

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), "async-jobs-heartbeat-"));
  store = await openJobStore(`sqlite:${join(dir, "jobs.db")}`, { changes: createChangeNotifier() });
  const handlers = createJobHandlers({ store, registry: createJobTypeRegistry([conformanceEcho]), streamHeartbeatMs: 100, closing: closing.signal });
  app = await createApp({ handlers, tokens: new Map([["tok", "acme"]]), connectionTimeoutMs: 400 });
  url = await app.listen({ port: 0, host: "127.0.0.1" });
});

afterAll(async () => {
  closing.abort();
  await app?.close();
  await store?.close();
  rmSync(dir, { recursive: true, force: true });
});

describe("job stream heartbeats", () => {
  it("sends a comment every heartbeat gap, so a quiet stream outlives the idle timeout; shutdown ends it", { timeout: 20_000 }, async () => {
    const submitted = await fetch(`${url}/v1/jobs`, {
      method: "POST",
      headers: { authorization: "Bearer tok", "content-type": "application/json" },
      body: JSON.stringify({ type: "conformance.echo", input: { value: 1 } }),
    });
    const { id } = (await submitted.json()) as { id: string };
    const response = await fetch(`${url}/v1/jobs/${id}`, { headers: { authorization: "Bearer tok", accept: "text/event-stream" } });
    expect(response.headers.get("content-type")).toMatch(/^text\/event-stream/);
    const reader = response.body!.pipeThrough(new TextDecoderStream()).getReader();
    let text = "";
    const started = Date.now();
    // No worker: the job stays queued, so only heartbeats flow, for 3× the idle timeout.
    while (Date.now() - started < 1_200) {
      const { value, done } = await reader.read();
      expect(done).toBe(false);
      text += value;
    }
    expect(text).toMatch(/^retry: \d+\n\nevent: job\n/);
    const heartbeats = text.split("\n").filter((l) => l.startsWith(":")).length;
    expect(heartbeats).toBeGreaterThanOrEqual(8);
    // Shutdown ends the stream (the client would resume elsewhere with Last-Event-ID).
    closing.abort();
    for (;;) {
      const { done } = await reader.read();
      if (done) break;
    }
  });
});
