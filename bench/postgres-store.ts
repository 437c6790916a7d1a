// Postgres figures of the reference server (issue 4, "Performance"), on a throwaway cluster with
// fsync on (initdb + pg_ctl, as the tests do):
//   1. durable submits/s through the store, with idempotency keys, 16 concurrent callers;
//   2. claims + completes/s through the store (batch 1 × 16 claimers, batch 16 × 4 claimers);
//   3. durable submits/s through HTTP (autocannon in its own process, 16 connections, a fresh Idempotency-Key each),
//      one API process, then two API processes sharing the database;
//   4. long-poll wake latency across processes: a long poll parked on an API process, the change
//      committed by this process (acting as the worker), time until the response arrives;
//   5. end-to-end no-op jobs/s: submits through HTTP, two worker processes run them.
// Anchors measured on this machine: pg-boss 10 enqueues 4,757/s with 16 callers; a plain SKIP LOCKED
// queue claims and completes 4,813 jobs/s. Goals: ≥ 4,000 submits/s through HTTP; wake p99 < 50 ms.
// Run: npx tsx bench/postgres-store.ts        (BENCH_SECONDS=5 per phase by default)
import { mkdtempSync, rmSync } from "node:fs";
import { loadavg, tmpdir } from "node:os";
import { join } from "node:path";
import pg from "pg";
import { openPostgresJobStore } from "../reference-server/src/store/postgres/postgres-job-store.ts";
import type { JobStore } from "../reference-server/src/store/job-store.ts";
import { startPostgresCluster } from "../reference-server/test/support/postgres-cluster.ts";
import { percentile } from "./server/bench-row.ts";
import { createCliProcesses } from "./support/cli-processes.ts";
import { keyedSubmitsRun, type LoadFigures, startLoadGenerator } from "./support/load-generator.ts";
import { keyedSubmit as command, rate as rateFor, storeSubmits } from "./support/store-submits.ts";

const SECONDS = Number(process.env.BENCH_SECONDS ?? 5);
const TOKEN = "bench-token";
const figures: [string, string, string][] = [];
const cli = createCliProcesses();
const load = startLoadGenerator();

/** Runs `callers` loops of `step` for SECONDS; returns operations per second. */
const rate = (callers: number, step: () => Promise<number>) => rateFor(callers, SECONDS, step);

const startCli = async (args: string[], ready: RegExp) => (await cli.start(args, ready)).match;

/** Durable submits through HTTP, from the load generator's process: 16 connections spread over `urls`. */
function httpSubmits(urls: string[]): Promise<LoadFigures[]> {
  return Promise.all(
    urls.map((api) => load.run(keyedSubmitsRun({ api, token: TOKEN, connections: 16 / urls.length, durationS: SECONDS }))),
  );
}

/**
 * A long poll parked on `api` for a running job; this process (the job's worker) completes it;
 * time from the start of that commit until the response arrives.
 */
async function wakeLatencies(api: string, store: JobStore, samples: number, lanes: number) {
  const headers = { authorization: `Bearer ${TOKEN}` };
  const latencies: number[] = [];
  const afterCommit: number[] = [];
  let turn = Promise.resolve();
  await Promise.all(
    Array.from({ length: lanes }, async () => {
      while (latencies.length < samples) {
        // Create and claim one lane at a time, so each lane claims its own job.
        let release!: () => void;
        const previous = turn;
        turn = new Promise((r) => (release = r));
        await previous;
        const outcome = await store.createJob({ ...command(0), idempotency: undefined });
        if (outcome.kind !== "created") throw new Error(outcome.kind);
        let job;
        // Stragglers of the HTTP phase (requests autocannon left in flight) may still be queued.
        while ((job = (await store.claimJobs({ workerId: "bench", limit: 1, leaseMs: 60_000 }))[0]) && job.id !== outcome.job.id) {
          await store.completeJob({ id: job.id, leaseToken: job.leaseToken! }, null);
        }
        release();
        if (!job) throw new Error("lost the lane's job");
        const read = await fetch(`${api}/v1/jobs/${job.id}`, { headers });
        const etag = read.headers.get("etag")!;
        await read.arrayBuffer();
        const polled = fetch(`${api}/v1/jobs/${job.id}`, { headers: { ...headers, prefer: "wait=10", "if-none-match": etag } }).then(
          async (response) => {
            const at = performance.now();
            await response.arrayBuffer();
            if (response.status !== 200) throw new Error(`long poll answered ${response.status}`);
            return at;
          },
        );
        await new Promise((r) => setTimeout(r, 30)); // let the poll park
        const changedAt = performance.now();
        await store.completeJob({ id: job.id, leaseToken: job.leaseToken! }, null);
        const committedAt = performance.now();
        const wokeAt = await polled;
        latencies.push(wokeAt - changedAt);
        afterCommit.push(Math.max(0, wokeAt - committedAt));
      }
    }),
  );
  const sort = (list: number[]) => list.sort((a, b) => a - b);
  return { fromCommitStart: sort(latencies), fromCommitReturn: sort(afterCommit) };
}

async function main() {
  const cluster = await startPostgresCluster();
  const blobDir = mkdtempSync(join(tmpdir(), "async-jobs-bench-pg-"));
  try {
    const url = await cluster.createDatabase("bench");
    const store = await openPostgresJobStore({ url, poolSize: 16 });

    // 1. Submits through the store.
    const alone = await storeSubmits(store, 16, SECONDS);
    figures.push(["store: durable submits/s (idempotency keys, 16 callers)", alone.toFixed(0), "pg-boss enqueue 4,757/s"]);

    // 2. Claims + completes through the store, on the queue step 1 filled.
    const claimOne = await rate(16, async () => {
      const [job] = await store.claimJobs({ workerId: "bench", limit: 1, leaseMs: 60_000 });
      if (!job) return 0;
      await store.completeJob({ id: job.id, leaseToken: job.leaseToken! }, null);
      return 1;
    });
    figures.push(["store: claims + completes/s (batch 1, 16 claimers)", claimOne.toFixed(0), "plain SKIP LOCKED 4,813/s"]);
    const claimBatch = await rate(4, async () => {
      const jobs = await store.claimJobs({ workerId: "bench", limit: 16, leaseMs: 60_000 });
      await Promise.all(jobs.map((job) => store.completeJob({ id: job.id, leaseToken: job.leaseToken! }, null)));
      return jobs.length;
    });
    figures.push(["store: claims + completes/s (batch 16, 4 claimers)", claimBatch.toFixed(0), "plain SKIP LOCKED 4,813/s"]);

    // 3. Submits through HTTP: API processes without in-process workers.
    const serve = () =>
      startCli(
        ["serve", "--port", "0", "--no-worker", "--store", url, "--blob-dir", blobDir, "--tokens", `${TOKEN}:t1`],
        /listening on (\S+)/,
      );
    const [apiA, apiB] = await Promise.all([serve(), serve()]);
    await httpSubmits([apiA]); // warm-up (JIT, pools, prepared statements)
    const one = (await httpSubmits([apiA]))[0]!;
    figures.push([
      "http: durable submits/s, 1 API process (16 connections)",
      `${one.rps.toFixed(0)}`,
      `goal ≥ 4,000; latency p50 ${one.p50Ms} ms p99 ${one.p99Ms} ms; non-2xx ${one.non2xx}`,
    ]);
    const two = await httpSubmits([apiA, apiB]);
    figures.push([
      "http: durable submits/s, 2 API processes (8 + 8 connections)",
      `${two.reduce((sum, r) => sum + r.rps, 0).toFixed(0)}`,
      `goal ≥ 4,000; non-2xx ${two.reduce((sum, r) => sum + r.non2xx, 0)}`,
    ]);

    // 4. Cross-process long-poll wake: the poll waits on API B, this process completes the job.
    // The HTTP phase left thousands of queued jobs; set them aside so claims take the lanes' own.
    const admin = new pg.Client({ connectionString: url });
    await admin.connect();
    await admin.query("UPDATE jobs SET status = 'canceled', completed_at = 0 WHERE status = 'queued'");
    await admin.end();
    await wakeLatencies(apiB, store, 20, 2); // warm-up
    const wake = await wakeLatencies(apiB, store, 300, 4);
    const pair = (list: number[]) => `${percentile(list, 50).toFixed(1)} / ${percentile(list, 99).toFixed(1)}`;
    figures.push([
      "http: long-poll wake across processes, p50 / p99 ms",
      pair(wake.fromCommitStart),
      `goal p99 < 50 ms; from the start of the commit; max ${wake.fromCommitStart.at(-1)!.toFixed(1)} ms, ${wake.fromCommitStart.length} samples`,
    ]);
    figures.push(["http: the same, from the commit's return, p50 / p99 ms", pair(wake.fromCommitReturn), "(the fsync excluded)"]);

    // 5. End to end: no-op jobs submitted through API A, run by two worker processes.
    await Promise.all([0, 1].map(() => startCli(["worker", "--store", url, "--blob-dir", blobDir], /worker \S+ on/)));
    const total = 2_000;
    const e2eStarted = performance.now();
    let next = 0;
    await Promise.all(
      Array.from({ length: 16 }, async () => {
        while (next++ < total) {
          const response = await fetch(`${apiA}/v1/jobs`, {
            method: "POST",
            headers: { authorization: `Bearer ${TOKEN}`, "content-type": "application/json" },
            body: JSON.stringify({ type: "conformance.echo", input: { value: "e2e" } }),
          });
          await response.arrayBuffer();
        }
      }),
    );
    const counter = new pg.Client({ connectionString: url });
    await counter.connect();
    for (;;) {
      const { rows } = await counter.query<{ n: number }>(
        "SELECT count(*)::int AS n FROM jobs WHERE input = '{\"value\":\"e2e\"}' AND status = 'succeeded'",
      );
      if (rows[0]!.n >= total) break;
      await new Promise((r) => setTimeout(r, 20));
    }
    await counter.end();
    const e2e = total / ((performance.now() - e2eStarted) / 1000);
    figures.push(["e2e: no-op jobs/s (HTTP submit → 2 worker processes → succeeded)", e2e.toFixed(0), `${total} jobs, 16 submitters`]);

    await store.close();
  } finally {
    load.close();
    await cli.stopAll();
    await cluster.stop();
    rmSync(blobDir, { recursive: true, force: true });
  }

  console.log(`\nPostgres 15, fsync on, ${SECONDS} s per phase, load average ${loadavg().map((l) => l.toFixed(1)).join(" ")}, ${new Date().toISOString()}`);
  const width = Math.max(...figures.map((f) => f[0].length));
  for (const [name, value, note] of figures) console.log(`${name.padEnd(width)}  ${value.padStart(8)}   ${note}`);
}

await main();
