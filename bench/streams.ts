// Bench: job stream delivery latency (spec §2, "Watching a job") with many streams open on one job.
//
//   npx tsx bench/streams.ts [--streams 1000] [--rounds 3]
//
// Per round: a queued job, N streams opened on it (each has received the job's first event),
// then a cancel is committed, by this process's store or through another connection to the same
// SQLite file (as another process would, woken by `data_version`); latency = arrival of the
// terminal event on each stream − just before the commit. Goal (issue 15, 2 cores): p99 < 50 ms
// at 1,000 streams. The streams are read in this process, so the reader's CPU counts against it.
import { mkdtempSync, rmSync } from "node:fs";
import { Agent, request } from "node:http";
import { register as registerHooks } from "node:module";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parseArgs } from "node:util";

// The server imports the SDK: resolve it to its sources, as the CLI does (no build needed).
registerHooks(
  `data:text/javascript,${encodeURIComponent(`export async function resolve(s, c, next) {
    return next(s, { ...c, conditions: c.conditions.includes("async-jobs-source") ? c.conditions : ["async-jobs-source", ...c.conditions] });
  }`)}`,
);
const { loadConfig } = await import("../reference-server/src/config.ts");
const { startServer } = await import("../reference-server/src/server.ts");
const { openSqliteJobStore } = await import("../reference-server/src/store/sqlite/sqlite-job-store.ts");

const { values } = parseArgs({ options: { streams: { type: "string", default: "1000" }, rounds: { type: "string", default: "3" } } });
const streams = Number(values.streams);
const rounds = Number(values.rounds);
const TOKEN = "bench_token";
const auth = { authorization: `Bearer ${TOKEN}`, "content-type": "application/json" };
const agent = new Agent({ keepAlive: false, maxSockets: Infinity });

const dir = mkdtempSync(join(tmpdir(), "async-jobs-bench-streams-"));
const dbPath = join(dir, "jobs.db");
const caps = ["--max-held-waits", String(streams), "--max-held-waits-per-tenant", String(streams)];
const api = await startServer(
  loadConfig(["serve", "--port", "0", "--store", `sqlite:${dbPath}`, "--blob-dir", join(dir, "blobs"), "--tokens", `${TOKEN}:bench`, "--no-worker", ...caps]),
);
const { hostname, port } = new URL(api.url);

/** Opens one stream; resolves once its first job event arrived, with a promise of the terminal event's arrival time. */
function openStream(id: string): Promise<{ terminal: Promise<number> }> {
  return new Promise((ready, fail) => {
    let resolveTerminal!: (t: number) => void;
    const terminal = new Promise<number>((r) => (resolveTerminal = r));
    const req = request({ host: hostname, port, path: `/v1/jobs/${id}`, agent, headers: { ...auth, accept: "text/event-stream" } }, (res) => {
      if (!res.headers["content-type"]?.startsWith("text/event-stream")) return fail(new Error(`no stream: ${res.statusCode} ${res.headers["content-type"]}`));
      let events = 0;
      res.setEncoding("utf8");
      res.on("data", (chunk: string) => {
        events += chunk.split("event: job").length - 1;
        if (events === 1) ready({ terminal });
        if (chunk.includes('"status":"canceled"')) resolveTerminal(performance.now());
      });
    });
    req.on("error", fail);
    req.end();
  });
}

async function round(cancel: (id: string) => Promise<unknown>): Promise<number[]> {
  const job = (await fetch(`${api.url}/v1/jobs`, { method: "POST", headers: auth, body: '{"type":"conformance.echo","input":{}}' }).then((r) => r.json())) as { id: string };
  const open = [];
  for (let i = 0; i < streams; i += 100) {
    open.push(...(await Promise.all(Array.from({ length: Math.min(100, streams - i) }, () => openStream(job.id)))));
  }
  await new Promise((r) => setTimeout(r, 200));
  const t0 = performance.now();
  await cancel(job.id);
  const arrivals = await Promise.all(open.map((s) => s.terminal));
  return arrivals.map((t) => t - t0);
}

const percentile = (sorted: number[], p: number) => sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]!;
function summary(name: string, latencies: number[]) {
  const sorted = [...latencies].sort((a, b) => a - b);
  console.log(`${name}: ${sorted.length} deliveries, p50 ${percentile(sorted, 50).toFixed(1)} ms, p99 ${percentile(sorted, 99).toFixed(1)} ms, max ${sorted.at(-1)!.toFixed(1)} ms`);
}

try {
  const local: number[] = [];
  for (let r = 0; r < rounds; r++) local.push(...(await round((id) => api.store.requestCancel("bench", id))));
  summary(`same process, ${streams} streams`, local);
  const other = await openSqliteJobStore({ path: dbPath });
  const remote: number[] = [];
  for (let r = 0; r < rounds; r++) remote.push(...(await round((id) => other.requestCancel("bench", id))));
  await other.close();
  summary(`other connection (as another process), ${streams} streams`, remote);
  console.log(`(goal p99 < 50 ms at 1,000 streams; ${rounds} rounds; Node ${process.version})`);
} finally {
  await api.close();
  agent.destroy();
  rmSync(dir, { recursive: true, force: true });
}
