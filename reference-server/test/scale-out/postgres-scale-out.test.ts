import type { ChildProcess } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { createServer, type Server } from "node:http";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { spawnUntilReady } from "../../../test/helpers/spawn-until-ready.ts";
import { createTestDatabase } from "../support/test-database.ts";

// Two API processes (no in-process worker) and two worker processes on one Postgres database,
// started through the real CLI: what a scaled-out deployment looks like.

const serverDir = fileURLToPath(new URL("../..", import.meta.url));
const TOKEN = "scale-token";
const auth = { authorization: `Bearer ${TOKEN}` };

interface Proc {
  child: ChildProcess;
}

const procs: Proc[] = [];
let blobDir: string;
let storeUrl: string;
let apiA: string;
let apiB: string;
let workers: Proc[];
let receiver: Server;
let hookUrl: string;
/** webhook-id → job id, and every delivery seen (to prove each job ended once). */
const deliveries: { eventId: string; jobId: string; status: string }[] = [];

/** Starts the CLI and resolves once it printed a line matching `ready` (its first group). */
async function startCli(args: string[], ready: RegExp): Promise<{ proc: Proc; match: string }> {
  const { child, ready: match } = await spawnUntilReady(process.execPath, ["--conditions=async-jobs-source", "--import", "tsx", "src/cli.ts", ...args], {
    cwd: serverDir,
    ready,
    name: args.join(" "),
    onSpawn: (child) => void procs.push({ child }),
  });
  return { proc: { child }, match };
}

const common = () => ["--store", storeUrl, "--blob-dir", blobDir, "--tokens", `${TOKEN}:t1`, "--lease-timeout-ms", "1000", "--webhook-schedule-ms", "0,100,200"];

type JobBody = { id: string; status: string; attempt: number; progress: { percent: number } | null };

async function submit(base: string, input: unknown, key?: string) {
  const response = await fetch(`${base}/v1/jobs`, {
    method: "POST",
    headers: { ...auth, "content-type": "application/json", ...(key ? { "idempotency-key": key } : {}) },
    body: JSON.stringify({ type: "conformance.echo", input, webhook: { url: hookUrl } }),
  });
  expect(response.status).toBe(202);
  return (await response.json()) as JobBody;
}

/** A status read; with `etag` and `waitS`, a long poll that returns once the ETag differs (or at the deadline). */
async function read(base: string, id: string, etag?: string, waitS = 20) {
  const response = await fetch(`${base}/v1/jobs/${id}`, {
    headers: { ...auth, ...(etag ? { prefer: `wait=${waitS}`, "if-none-match": etag } : {}) },
  });
  const job = response.status === 200 ? ((await response.json()) as JobBody) : undefined;
  return { status: response.status, etag: response.headers.get("etag")!, job };
}

/** Long-polls API `base` until `done(job)`. */
async function until(base: string, id: string, done: (job: JobBody) => boolean) {
  let current = await read(base, id);
  while (!done(current.job!)) {
    const next = await read(base, id, current.etag);
    if (next.status === 200) current = next;
  }
  return current.job!;
}

const terminal = (job: JobBody) => ["succeeded", "failed", "canceled"].includes(job.status);

beforeAll(async () => {
  storeUrl = await createTestDatabase(`scale_out_${process.pid}`);
  blobDir = mkdtempSync(join(tmpdir(), "async-jobs-scale-"));

  receiver = createServer((request, response) => {
    let body = "";
    request.on("data", (chunk) => (body += chunk));
    request.on("end", () => {
      const event = JSON.parse(body) as { type: string; data: { id: string } };
      deliveries.push({ eventId: String(request.headers["webhook-id"]), jobId: event.data.id, status: event.type });
      response.writeHead(200).end();
    });
  });
  await new Promise<void>((resolve) => receiver.listen(0, "127.0.0.1", resolve));
  const address = receiver.address();
  hookUrl = `http://127.0.0.1:${typeof address === "object" && address ? address.port : 0}/hook`;

  // All four start at once on an empty database: migrations on start must serialise themselves.
  const api = (extra: string[]) => startCli(["serve", "--port", "0", "--no-worker", "--allow-private-webhooks", ...common(), ...extra], /listening on (\S+)/);
  // Concurrency 1: each worker holds at most one job, so two long jobs occupy both. Workers
  // deliver webhooks too, so they are also told the loopback receiver is allowed.
  const worker = () => startCli(["worker", "--allow-private-webhooks", ...common(), "--worker-concurrency", "1"], /worker \S+ on/);
  const started = Date.now();
  const [a, b, w1, w2] = await Promise.all([api([]), api([]), worker(), worker()]);
  // Four tsx processes starting at once on 2 shared cores: slow under load, so say how slow.
  console.log(`scale-out: 2 API + 2 worker processes ready in ${Date.now() - started} ms`);
  apiA = a.match;
  apiB = b.match;
  workers = [w1.proc, w2.proc];
}, 120_000);

afterAll(async () => {
  for (const proc of procs) if (proc.child.exitCode === null && proc.child.signalCode === null) proc.child.kill("SIGKILL");
  receiver?.close();
  if (blobDir) rmSync(blobDir, { recursive: true, force: true });
});

describe("two API processes and two workers on one Postgres database", () => {
  test("jobs submitted to API A are run by the worker processes and read as done on API B", async () => {
    const submitted = await Promise.all(Array.from({ length: 12 }, (_, i) => submit(apiA, { value: i }, `key-${i}`)));
    const done = await Promise.all(submitted.map((job) => until(apiB, job.id, terminal)));
    expect(done.map((j) => j.status)).toEqual(Array(12).fill("succeeded"));
    // A replay through the other API process finds the same job (the key lives in the database).
    const replay = await fetch(`${apiB}/v1/jobs`, {
      method: "POST",
      headers: { ...auth, "content-type": "application/json", "idempotency-key": "key-0" },
      body: JSON.stringify({ type: "conformance.echo", input: { value: 0 }, webhook: { url: hookUrl } }),
    });
    expect(replay.headers.get("idempotent-replayed")).toBe("true");
    expect(((await replay.json()) as { id: string }).id).toBe(submitted[0]!.id);
  });

  test("a long poll on API B wakes on a change a worker process made", async () => {
    // Progress at 1 s and 2 s, done at 2 s: a poll that only returned at its 20 s deadline would
    // see the job ended; one woken by the worker's NOTIFY sees it still running.
    const job = await submit(apiA, { value: "slow", duration_ms: 2_000, progress_steps: 2 });
    const before = await read(apiB, job.id);
    const started = Date.now();
    const woken = await read(apiB, job.id, before.etag);
    const wokeAfter = Date.now() - started;
    expect(woken.status).toBe(200);
    expect(woken.etag).not.toBe(before.etag);
    expect(woken.job?.status).toBe("running");
    console.log(`scale-out: long poll on API B returned ${wokeAfter} ms after it started (${before.job?.status} → running)`);
    // A cancel on API B reaches the worker process holding the job.
    const cancel = await fetch(`${apiB}/v1/jobs/${job.id}/cancel`, { method: "POST", headers: auth });
    expect(cancel.status).toBe(202);
    expect((await until(apiA, job.id, terminal)).status).toBe("canceled");
  });

  test("kill -9 of a worker mid-job: the job runs again on the other worker and ends once", async () => {
    const jobs = await Promise.all([submit(apiA, { value: "a", duration_ms: 1_500 }), submit(apiA, { value: "b", duration_ms: 1_500 })]);
    // Both start (one per worker, each runs one at a time).
    await Promise.all(jobs.map((job) => until(apiB, job.id, (j) => j.status === "running")));
    const victim = workers[0]!;
    victim.child.kill("SIGKILL");
    const done = await Promise.all(jobs.map((job) => until(apiB, job.id, terminal)));
    expect(done.map((j) => j.status)).toEqual(["succeeded", "succeeded"]);
    // Exactly one of them lost its worker and ran a second attempt.
    expect(done.map((j) => j.attempt).sort()).toEqual([1, 2]);

    // Every job of this file ended exactly once: one event per job, never two event ids.
    const deadline = Date.now() + 10_000;
    const expected = 12 + 1 + 2;
    while (new Set(deliveries.map((d) => d.jobId)).size < expected && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
    const eventIdsByJob = new Map<string, Set<string>>();
    for (const d of deliveries) eventIdsByJob.set(d.jobId, (eventIdsByJob.get(d.jobId) ?? new Set()).add(d.eventId));
    expect(eventIdsByJob.size).toBe(expected);
    expect([...eventIdsByJob.values()].every((ids) => ids.size === 1)).toBe(true);
    expect(deliveries.filter((d) => d.status !== "job.succeeded").map((d) => d.status)).toEqual(["job.canceled"]);
  });
});
