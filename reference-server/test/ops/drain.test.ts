import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { type CliProcess, killAllCli, startCli } from "./support/cli-process.ts";
import { createTestDatabase } from "../support/test-database.ts";
import { countJobs, fillQueue } from "./support/stores.ts";

// Deliver 3 of issue 20: SIGTERM during a busy drain leaves no job `running` and runs none twice.
// The races it guards: a claim still in flight when the drain starts (its jobs were never waited
// for, so they ran into a closed pool), store calls still in flight when the pool ended, and
// keep-alive connections holding `close()` for fastify's 72 s keep-alive timeout.

const TOKEN = "ops-drain-token";
const dirs: string[] = [];
afterAll(() => {
  killAllCli();
  for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
});

function tempDir() {
  const dir = mkdtempSync(join(tmpdir(), "async-jobs-drain-"));
  dirs.push(dir);
  return dir;
}

function serve(store: string, dir: string): Promise<CliProcess> {
  return startCli(
    ["serve", "--port", "0", "--store", store, "--blob-dir", join(dir, "blobs"), "--tokens", `${TOKEN}:acme`, "--worker-concurrency", "32"],
    /listening on (\S+)/,
  );
}

/** Submits no-op jobs from `parallel` loops until the server goes away. */
function submitLoad(url: string, parallel: number) {
  let accepted = 0;
  const loops = Array.from({ length: parallel }, async () => {
    for (;;) {
      try {
        const res = await fetch(`${url}/v1/jobs`, {
          method: "POST",
          headers: { authorization: `Bearer ${TOKEN}`, "content-type": "application/json" },
          body: '{"type":"conformance.echo","input":{"value":1}}',
        });
        if (res.status === 202) accepted++;
        await res.arrayBuffer();
      } catch {
        return; // the server stopped listening
      }
    }
  });
  return { done: Promise.all(loops).then(() => accepted) };
}

async function waitFor<T>(read: () => Promise<T>, ok: (value: T) => boolean, timeoutMs: number): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await read();
    if (ok(value) || Date.now() > deadline) return value;
    await new Promise((r) => setTimeout(r, 50));
  }
}

/** One deploy step: a busy `serve` gets SIGTERM mid-drain; returns what the store holds after its exit. */
async function sigtermMidDrain(store: string, dir: string) {
  const before = await countJobs(store);
  const server = await serve(store, dir);
  const load = submitLoad(server.ready, 16);
  // The signal lands while the worker claims from the backlog and submits arrive.
  await waitFor(() => countJobs(store), (c) => (c.byStatus.succeeded ?? 0) >= (before.byStatus.succeeded ?? 0) + 300, 30_000);
  const signalAt = Date.now();
  server.signal("SIGTERM");
  const code = await server.exited;
  const exitMs = Date.now() - signalAt;
  const accepted = await load.done;
  return { code, exitMs, accepted, before, after: await countJobs(store), output: server.output() };
}

describe("SIGTERM during a busy drain", () => {
  for (const kind of ["postgres", "sqlite"] as const) {
    it(`leaves no job running and runs none twice (${kind})`, { timeout: 180_000 }, async () => {
      const store =
        kind === "postgres" ? await createTestDatabase("ops_drain") : `sqlite:${join(tempDir(), "jobs.db")}`;
      const dir = tempDir();
      // Short jobs: a job started by a claim that returns after the drain began ends after the others.
      await fillQueue(store, 4_000, { duration_ms: 40 });
      // A claim is in flight at most moments, not at all: three deploys make missing the race unlikely.
      for (let deploy = 0; deploy < 3; deploy++) {
        const { code, exitMs, accepted, before, after, output } = await sigtermMidDrain(store, dir);
        expect(code).toBe(0);
        expect(output).not.toMatch(/Cannot use a pool|could not be settled|threw|failed/);
        expect(after.byStatus.running ?? 0).toBe(0);
        expect(after.byStatus.queued ?? 0).toBeGreaterThan(0); // the signal came mid-drain
        expect(after.ranTwice).toBe(0);
        expect(after.total).toBe(before.total + accepted);
        // Keep-alive connections do not hold the exit for fastify's 72 s keep-alive timeout.
        expect(exitMs).toBeLessThan(15_000);
      }

      // A last process drains what was left queued: every job then ran exactly once.
      const last = await serve(store, dir);
      const final = await waitFor(() => countJobs(store), (c) => (c.byStatus.succeeded ?? 0) === c.total, 90_000);
      last.signal("SIGTERM");
      expect(await last.exited).toBe(0);
      expect(final.byStatus).toEqual({ succeeded: final.total });
      expect(final.ranTwice).toBe(0);
    });
  }
});
