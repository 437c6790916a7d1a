import { createHash } from "node:crypto";
import { gunzipSync } from "node:zlib";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createClient, isApiError, isJobCanceledError, isJobFailedError, type AsyncJobsClient } from "async-jobs";
import { awaitJob, listJobs } from "async-jobs/jobs";
import { randomFaults, seededRandom, startFaultProxy, type FaultProxy } from "../helpers/fault-proxy.ts";
import { startReferenceServer, type ReferenceServer } from "../helpers/reference-server.ts";

// The SDK against the real reference server on port 0 (spawned from its sources), and
// through a fault-injecting proxy in front of it.
let server: ReferenceServer;
let client: AsyncJobsClient;
beforeAll(async () => {
  server = await startReferenceServer({ tenants: ["a", "faults", "other"] });
  client = createClient({ baseUrl: server.url, token: server.tokens.a! });
}, 90_000);
afterAll(async () => server?.stop());

describe("jobs against the reference server", () => {
  it("submitAndWait conformance.echo reports progress and returns the typed result", async () => {
    const seen: number[] = [];
    const job = await client.jobs.submitAndWait(
      { type: "conformance.echo", input: { value: { hello: "world" }, duration_ms: 1200, progress_steps: 4 } },
      { onProgress: (j) => seen.push(j.progress?.percent ?? -1) },
    );
    expect(job.status).toBe("succeeded");
    expect(job.result).toEqual({ value: { hello: "world" } });
    expect(seen.length).toBeGreaterThanOrEqual(4); // long polls come back on each change
    expect(seen).toEqual([...seen].sort((a, b) => a - b)); // monotonic within one attempt
    expect(seen.at(-1)).toBe(100);
  });

  it("submitAndWait file.checksum and file.gzip on an uploaded file", async () => {
    const bytes = new TextEncoder().encode("hello async-jobs ".repeat(1000));
    const upload = await client.uploads.upload(bytes, { filename: "hello.txt", contentType: "text/plain" });
    expect(upload.status).toBe("completed");
    const checksum = await client.jobs.submitAndWait({ type: "file.checksum", input: { upload_id: upload.id } });
    expect(checksum.result).toEqual({ sha256: createHash("sha256").update(bytes).digest("hex"), size: bytes.length });
    const gzip = await client.jobs.submitAndWait({ type: "file.gzip", input: { upload_id: upload.id } });
    expect(gzip.result.size).toBe(bytes.length);
    const download = await fetch(new URL(gzip.result.download.url, server.url));
    expect(download.status).toBe(200);
    expect(gunzipSync(Buffer.from(await download.arrayBuffer())).equals(Buffer.from(bytes))).toBe(true);
  });

  it("a failing job throws JobFailedError with its code", async () => {
    const error = await client.jobs
      .submitAndWait({ type: "conformance.echo", input: { fail: { code: "echo_failed", message: "as asked" } } })
      .catch((e: unknown) => e);
    expect(isJobFailedError(error)).toBe(true);
    expect(error).toMatchObject({ problem: { code: "echo_failed" }, job: { status: "failed" } });
  });

  it("cancel → awaitJob throws JobCanceledError; cancelling a finished job is job_already_terminal", async () => {
    const { job } = await client.jobs.submit({ type: "conformance.echo", input: { duration_ms: 60_000 } });
    const waiting = awaitJob(client, job.id).catch((e: unknown) => e);
    const canceled = await client.jobs.cancel(job.id);
    expect(canceled.cancel_requested || canceled.status === "canceled").toBe(true);
    expect(isJobCanceledError(await waiting)).toBe(true);
    const done = await client.jobs.submitAndWait({ type: "conformance.echo", input: {} });
    expect(isApiError(await client.jobs.cancel(done.id).catch((e: unknown) => e), "job_already_terminal")).toBe(true);
  });

  it("abort with cancelOnAbort cancels the job on the server", async () => {
    const { job } = await client.jobs.submit({ type: "conformance.echo", input: { duration_ms: 60_000 } });
    const controller = new AbortController();
    const waiting = awaitJob(client, job.id, { signal: controller.signal, cancelOnAbort: true }).catch((e: unknown) => e);
    setTimeout(() => controller.abort(), 100);
    expect((await waiting as Error).name).toBe("AbortError");
    await expect(awaitJob(client, job.id, { deadlineMs: 10_000 })).rejects.toMatchObject({ name: "JobCanceledError" });
  });

  it("a resubmit with the same key is a replay of the same job", async () => {
    const req = { type: "conformance.echo", input: { value: "once" } } as const;
    const first = await client.jobs.submit(req, { idempotencyKey: "integration-key-1" });
    const second = await client.jobs.submit(req, { idempotencyKey: "integration-key-1" });
    expect(first.replayed).toBe(false);
    expect(second.replayed).toBe(true);
    expect(second.job.id).toBe(first.job.id);
    const reused = await client.jobs.submit({ ...req, input: { value: "other" } }, { idempotencyKey: "integration-key-1" }).catch((e: unknown) => e);
    expect(isApiError(reused, "idempotency_key_reused")).toBe(true);
  });

  it("list pages through every job of the tenant; types lists the built-in types", async () => {
    const other = createClient({ baseUrl: server.url, token: server.tokens.other! });
    const ids = new Set<string>();
    for (let i = 0; i < 5; i++) ids.add((await other.jobs.submit({ type: "conformance.echo", input: { value: i } })).job.id);
    const listed: string[] = [];
    for await (const job of other.jobs.list({ limit: 2 })) listed.push(job.id);
    expect(new Set(listed)).toEqual(ids);
    expect(listed).toHaveLength(5);
    expect((await other.jobs.types()).map((t) => t.type).sort()).toEqual(["conformance.echo", "file.checksum", "file.gzip"]);
  });

  it("a wrong token is ApiError unauthorized; an unknown job is not_found", async () => {
    const bad = createClient({ baseUrl: server.url, token: "nope" });
    expect(isApiError(await bad.jobs.get("job_x").catch((e: unknown) => e), "unauthorized")).toBe(true);
    expect(isApiError(await client.jobs.get("job_x").catch((e: unknown) => e), "not_found")).toBe(true);
  });
});

describe("through a fault-injecting proxy", () => {
  let proxy: FaultProxy;
  afterAll(async () => proxy?.close());

  it("1,000 submits create exactly 1,000 jobs, each awaited to its end", async () => {
    proxy = await startFaultProxy(
      server.url,
      randomFaults({ dropAfterCommit: 0.1, reset: 0.05, delay: 0.05, delayMs: 300, status503: 0.05 }, seededRandom(7)),
    );
    const flaky = createClient({
      baseUrl: proxy.url,
      token: server.tokens.faults!,
      timeoutMs: 2_000,
      retry: { limit: 10, initialDelayMs: 20, maxDelayMs: 200 },
    });
    const total = 1000;
    const ids: string[] = [];
    let next = 0;
    const worker = async () => {
      while (next < total) {
        const i = next++;
        const job = await flaky.jobs.submitAndWait(
          { type: "conformance.echo", input: { value: i, duration_ms: i % 7 === 0 ? 200 : 0 } },
          { waitSeconds: 1, poll: { initialMs: 50, maxMs: 200 }, deadlineMs: 60_000 },
        );
        expect(job.result).toEqual({ value: i });
        ids.push(job.id);
      }
    };
    await Promise.all(Array.from({ length: 40 }, worker));
    expect(new Set(ids).size).toBe(total);
    // Every fault kind actually happened.
    expect(proxy.stats["drop-after-commit"]).toBeGreaterThan(50);
    expect(proxy.stats.reset).toBeGreaterThan(20);
    expect(proxy.stats.status).toBeGreaterThan(20);
    expect(proxy.stats.delay).toBeGreaterThan(20);
    // The server holds exactly the jobs we awaited: no duplicate from a retried submit.
    const direct = createClient({ baseUrl: server.url, token: server.tokens.faults! });
    const stored: string[] = [];
    for await (const job of listJobs(direct, { limit: 100 })) stored.push(job.id);
    expect(stored).toHaveLength(total);
    expect(new Set(stored)).toEqual(new Set(ids));
  }, 120_000);
});
