import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { afterAll, expect, test } from "vitest";
import { createJobTypeRegistry } from "../../src/job-types/index.ts";
import type { JobTypeDefinition } from "../../src/job-types/job-type-definition.ts";
import type { JobStore } from "../../src/store/job-store.ts";
import { openSqliteJobStore } from "../../src/store/sqlite/sqlite-job-store.ts";
import { startWorker } from "../../src/worker/worker.ts";

// Issue 13, finding 10: a worker that cannot renew its lease stops the job once the lease may
// have expired, so the worker that recovers the job never runs it at the same time.

const dir = mkdtempSync(join(tmpdir(), "lease-abort-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

test("a worker cut off from the store aborts its run at the lease deadline; the next run never overlaps", async () => {
  const store = await openSqliteJobStore({ path: join(dir, "jobs.db") });
  const runs: { worker: string; start: number; end?: number; reason?: unknown }[] = [];
  const longJob = (worker: string): JobTypeDefinition => ({
    type: "test.long",
    description: "runs until aborted",
    inputSchema: { type: "object" },
    resultSchema: {},
    run: ({ signal }) =>
      new Promise((_, reject) => {
        const entry: (typeof runs)[number] = { worker, start: performance.now() };
        runs.push(entry);
        signal.addEventListener("abort", () => {
          entry.end = performance.now();
          entry.reason = signal.reason;
          reject(signal.reason);
        });
      }),
  });
  // Once the first worker runs the job, nothing it asks of the store ever answers (a network
  // partition between it and the database).
  const partitioned = Object.fromEntries(
    Object.entries(store).map(([key, value]) => [
      key,
      typeof value === "function" ? (...args: unknown[]) => (runs.length > 0 ? new Promise(() => {}) : value(...args)) : value,
    ]),
  ) as unknown as JobStore;
  const leaseTimeoutMs = 400;
  const cutOff = startWorker({ store: partitioned, registry: createJobTypeRegistry([longJob("cut-off")]), leaseTimeoutMs, pollMs: 20 });
  await store.createJob({ tenant: "t", type: "test.long", input: {}, metadata: {}, maxAttempts: 5, webhookUrl: null });
  for (let i = 0; i < 100 && runs.length === 0; i++) await sleep(20);
  expect(runs.map((r) => r.worker)).toEqual(["cut-off"]);

  const healthy = startWorker({ store, registry: createJobTypeRegistry([longJob("healthy")]), leaseTimeoutMs, pollMs: 20 });
  for (let i = 0; i < 200 && runs.length < 2; i++) await sleep(20);
  const [first, second] = runs;
  expect(first).toMatchObject({ worker: "cut-off", reason: "lease_lost" });
  expect(second?.worker).toBe("healthy");
  // The cut-off run ended (on its own: the store never answered it again) before the next began.
  expect(first!.end!).toBeLessThanOrEqual(second!.start);

  await healthy.stop(0);
  await cutOff.stop(0);
  await store.close();
});
