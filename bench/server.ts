// Bench: the reference server on SQLite against the framework's ceiling (a bare fastify handler
// returning a constant), through HTTP on loopback with autocannon.
//
//   npx tsx bench/server.ts [--duration 5] [--connections 32] [--jobs 4000]
//
// Figures: durable submits/s (each with its own Idempotency-Key, 202 only after the fsync),
// status reads/s, end-to-end no-op conformance.echo jobs/s (submit → worker → succeeded), and
// long-poll wake latency p50/p99 (a held GET with `Prefer: wait` woken by a cancel committed in
// this process, and by one committed through another connection to the same file, as another
// process would). Goals (issue 4, 2 cores): ≥ 5,000 submits/s, ≥ 20,000 reads/s, ≥ 2,000 jobs/s,
// wake p99 < 50 ms.
//
// The load generator (autocannon) runs in a child process, for the server and the bare fastify
// alike: in the server's own process it would take half of this 2-core machine's CPU from it.
import { fork } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";
// @ts-expect-error autocannon ships no type declarations
import autocannonUntyped from "autocannon";
import Fastify from "fastify";
import { register as registerHooks } from "node:module";

type CannonResult = { requests: { average: number }; non2xx: number; errors: number };
const autocannon = autocannonUntyped as (options: Record<string, unknown>) => Promise<CannonResult>;
/** What the parent asks the load generator child to run. */
type CannonJob = { options: Record<string, unknown>; idempotencyKeys?: boolean };
type CannonFigures = { rps: number; non2xx: number; errors: number };

if (process.argv.includes("--cannon-child")) {
  // The load generator: one autocannon run per message, its figures sent back.
  let run = 0;
  process.on("message", async (job: CannonJob) => {
    run++;
    let key = 0;
    const options = { ...job.options };
    if (job.idempotencyKeys) {
      options.requests = [{ setupRequest: (req: any) => ({ ...req, headers: { ...req.headers, "idempotency-key": `"k-${run}-${key++}"` } }) }];
    }
    const result = await autocannon(options);
    process.send!({ rps: result.requests.average, non2xx: result.non2xx, errors: result.errors } satisfies CannonFigures);
  });
} else {
  await main();
}

async function main() {
// The server imports the SDK (async-jobs/webhooks): resolve it to its sources, as the CLI does,
// so `npx tsx bench/server.ts` needs no build. Hence the dynamic imports below.
registerHooks(
  `data:text/javascript,${encodeURIComponent(`export async function resolve(s, c, next) {
    return next(s, { ...c, conditions: c.conditions.includes("async-jobs-source") ? c.conditions : ["async-jobs-source", ...c.conditions] });
  }`)}`,
);
const { loadConfig } = await import("../reference-server/src/config.ts");
const { startServer } = await import("../reference-server/src/server.ts");
const { openSqliteJobStore } = await import("../reference-server/src/store/sqlite/sqlite-job-store.ts");

const { values } = parseArgs({
  options: {
    duration: { type: "string", default: "5" },
    connections: { type: "string", default: "32" },
    jobs: { type: "string", default: "4000" },
  },
});
const duration = Number(values.duration);
const connections = Number(values.connections);
const TOKEN = "bench_token";
const auth = { authorization: `Bearer ${TOKEN}`, "content-type": "application/json" };

const child = fork(fileURLToPath(import.meta.url), ["--cannon-child"], { stdio: "inherit" });
function cannon(options: Record<string, unknown>, idempotencyKeys = false): Promise<CannonFigures> {
  return new Promise((resolve, reject) => {
    child.once("message", (figures) => resolve(figures as CannonFigures));
    child.once("error", reject);
    child.send({ options: { connections, duration, ...options }, idempotencyKeys } satisfies CannonJob);
  });
}

function percentile(sorted: number[], p: number) {
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]!;
}

const fmt = (n: number) => Math.round(n).toLocaleString("en-US");
const rows: string[][] = [];
const report = (name: string, value: string, ceiling: string, ratio: string, note = "") => {
  rows.push([name, value, ceiling, ratio, note]);
  console.error(`… ${name}: ${value}`);
};

// ---- the ceiling: bare fastify ------------------------------------------------------------
const bare = Fastify();
bare.get("/c", async () => ({ status: "ok" }));
bare.post("/c", async (_request, reply) => reply.code(202).send({ status: "ok" }));
await bare.listen({ port: 0, host: "127.0.0.1" });
const bareUrl = `http://127.0.0.1:${(bare.server.address() as { port: number }).port}/c`;
const bareGet = await cannon({ url: bareUrl });
const barePost = await cannon({ url: bareUrl, method: "POST", headers: { "content-type": "application/json" }, body: '{"type":"conformance.echo","input":{}}' });
await bare.close();

// ---- the reference server -----------------------------------------------------------------
const dir = mkdtempSync(join(tmpdir(), "async-jobs-bench-"));
const dbPath = join(dir, "jobs.db");
const base = ["--port", "0", "--store", `sqlite:${dbPath}`, "--blob-dir", join(dir, "blobs"), "--tokens", `${TOKEN}:bench`];

try {
  // Submits and reads without the worker, so they measure the API and the store alone.
  const api = await startServer(loadConfig(["serve", ...base, "--no-worker"]));
  const submits = await cannon(
    { url: `${api.url}/v1/jobs`, method: "POST", headers: auth, body: '{"type":"conformance.echo","input":{"value":1}}' },
    true,
  );
  report("submits/s (durable, Idempotency-Key)", fmt(submits.rps), fmt(barePost.rps), (submits.rps / barePost.rps).toFixed(2), `non-2xx ${submits.non2xx}`);

  const one = await fetch(`${api.url}/v1/jobs`, { method: "POST", headers: auth, body: '{"type":"conformance.echo","input":{}}' }).then((r) => r.json() as Promise<{ id: string }>);
  const reads = await cannon({ url: `${api.url}/v1/jobs/${one.id}`, headers: auth });
  report("status reads/s", fmt(reads.rps), fmt(bareGet.rps), (reads.rps / bareGet.rps).toFixed(2), `non-2xx ${reads.non2xx}`);

  // Long-poll wake latency: hold a GET (Prefer: wait, no If-None-Match → until terminal), then
  // cancel the queued job; latency = answer arrival − just before the cancel commit.
  async function wakeLatencies(cancel: (id: string) => Promise<unknown>, samples: number) {
    const out: number[] = [];
    for (let i = 0; i < samples; i++) {
      const job = await fetch(`${api.url}/v1/jobs`, { method: "POST", headers: auth, body: '{"type":"conformance.echo","input":{}}' }).then((r) => r.json() as Promise<{ id: string }>);
      let arrived = 0;
      const poll = fetch(`${api.url}/v1/jobs/${job.id}`, { headers: { ...auth, prefer: "wait=20" } }).then(async (r) => {
        arrived = performance.now();
        await r.text();
      });
      await new Promise((r) => setTimeout(r, 30));
      const t0 = performance.now();
      await cancel(job.id);
      await poll;
      out.push(arrived - t0);
    }
    return out.sort((a, b) => a - b);
  }
  const local = await wakeLatencies((id) => api.store.requestCancel("bench", id), 200);
  report("long-poll wake p50 / p99 (same process)", `${percentile(local, 50).toFixed(1)} / ${percentile(local, 99).toFixed(1)} ms`, "-", "-", "goal p99 < 50 ms");
  const other = await openSqliteJobStore({ path: dbPath });
  const remote = await wakeLatencies((id) => other.requestCancel("bench", id), 200);
  await other.close();
  report("long-poll wake p50 / p99 (other connection)", `${percentile(remote, 50).toFixed(1)} / ${percentile(remote, 99).toFixed(1)} ms`, "-", "-", "as another process would");
  await api.close();

  // End to end: N no-op echo jobs submitted by 32 callers, run by the in-process worker.
  const e2e = await startServer(loadConfig(["serve", ...base, "--worker-concurrency", "64"]));
  const total = Number(values.jobs);
  let succeeded = 0;
  let resolveAll!: () => void;
  const allDone = new Promise<void>((r) => (resolveAll = r));
  e2e.store.changes.onAny((change) => {
    if (change.kind === "job" && change.status === "succeeded" && ++succeeded === total) resolveAll();
  });
  const started = performance.now();
  // 32 callers submit `total` jobs from the load generator's process.
  const e2eSubmits = await cannon({ url: `${e2e.url}/v1/jobs`, method: "POST", headers: auth, body: '{"type":"conformance.echo","input":{"value":0}}', amount: total, duration: undefined });
  if (e2eSubmits.non2xx > 0 || e2eSubmits.errors > 0) throw new Error(`end-to-end submits failed: ${JSON.stringify(e2eSubmits)}`);
  await allDone;
  const jobsPerS = total / ((performance.now() - started) / 1000);
  report(`end-to-end echo jobs/s (${total} jobs)`, fmt(jobsPerS), fmt(barePost.rps), (jobsPerS / barePost.rps).toFixed(2), "submit → succeeded");
  await e2e.close();
} finally {
  child.kill();
  rmSync(dir, { recursive: true, force: true });
}

const header = ["figure (SQLite, loopback)", "server", "bare fastify", "ratio", "note"];
const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
for (const row of [header, ...rows]) console.log(row.map((c, i) => c.padEnd(widths[i]!)).join("  "));
console.log(`(${connections} connections, ${duration} s per autocannon run, Node ${process.version})`);
}
