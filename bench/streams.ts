// Bench: job stream delivery latency (spec §8.2) with many streams open on one job.
//
//   npx tsx bench/streams.ts [--streams 1000] [--rounds 3] [--only same,sqlite,postgres] [--profile DIR] [--server-root DIR]
//
// Three setups, each with N streams open on one job of server process A (the reference server's CLI,
// started by this bench; the streams are read here, so the reader's CPU is not A's):
//   same      the change is committed by A itself (a cancel sent to A);
//   sqlite    by process B sharing A's SQLite file (A wakes through `PRAGMA data_version`);
//   postgres  by process B on the same throwaway cluster (A wakes through LISTEN/NOTIFY).
// Per round: a queued job, N streams opened on it (each has received its first event), then a
// cancel; latency = arrival of the terminal event on each stream − just before the cancel was sent
// (so it includes the cancel's own HTTP round trip). Goal (issue 15): p99 < 50 ms at 1,000 streams.
//
// Also printed per round: the first delivery, the p99, and the on-CPU time per change (Linux
// schedstat, which load on the machine does not inflate the way it inflates latencies) of server A
// and of this reader (its 1,000 sockets share the machine's cores with A).
// --profile DIR runs A with --cpu-prof into DIR and prints A's self time per function during the
// delivery windows only (CPU profiles and process.hrtime share CLOCK_MONOTONIC).
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { connect } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";
import { startPostgresCluster } from "../reference-server/test/support/postgres-cluster.ts";
import { percentile } from "./server/bench-row.ts";
import { createCliProcesses } from "./support/cli-processes.ts";

const { values } = parseArgs({
  options: {
    streams: { type: "string", default: "1000" },
    rounds: { type: "string", default: "3" },
    only: { type: "string", default: "same,sqlite,postgres" },
    profile: { type: "string" },
    // Another checkout's server (its node_modules linked), to compare before and after in one run.
    "server-root": { type: "string" },
  },
});
const streams = Number(values.streams);
const rounds = Number(values.rounds);
const setups = new Set(values.only.split(","));
const root = values["server-root"] ?? fileURLToPath(new URL("../", import.meta.url));
const TOKEN = "bench_token";
const auth = { authorization: `Bearer ${TOKEN}`, "content-type": "application/json" };
const servers = createCliProcesses({ root });
/** Delivery windows in CLOCK_MONOTONIC microseconds, for --profile. */
const windows: [number, number][] = [];
const monotonicUs = () => Number(process.hrtime.bigint() / 1000n);
/**
 * On-CPU time of a process's main thread (the event loop), ms, from Linux's schedstat: what a
 * change costs server A, apart from the time it waits for a core on a loaded machine.
 */
const onCpuMs = (pid: number) => (existsSync(`/proc/${pid}/schedstat`) ? Number(readFileSync(`/proc/${pid}/schedstat`, "utf8").split(" ")[0]) / 1e6 : NaN);

/** Starts a reference server process on `store`; resolves with its URL and pid. */
async function startServer(store: string, blobDir: string, profileDir?: string): Promise<{ url: string; pid: number }> {
  const caps = ["--max-held-waits", String(streams), "--max-held-waits-per-tenant", String(streams)];
  const args = ["serve", "--port", "0", "--store", store, "--blob-dir", blobDir, "--tokens", `${TOKEN}:bench`, "--no-worker", ...caps];
  const { match, pid } = await servers.start(args, /listening on (\S+)/, { profileDir: profileDir ?? "" });
  return { url: match, pid };
}

const stopServers = () => servers.stopAll();

/**
 * Opens one stream on a raw socket (the reader should cost little next to the server: no HTTP
 * client parser); resolves once its first job event arrived, with a promise of the terminal event's arrival time.
 */
function openStream(url: string, id: string): Promise<{ terminal: Promise<number> }> {
  const { hostname, port } = new URL(url);
  const firstEvent = Buffer.from("event: job");
  const terminalMark = Buffer.from('"status":"canceled"');
  return new Promise((ready, fail) => {
    let resolveTerminal!: (t: number) => void;
    const terminal = new Promise<number>((r) => (resolveTerminal = r));
    let started = false;
    let head = Buffer.alloc(0);
    const socket = connect({ host: hostname, port: Number(port) }, () => {
      socket.setNoDelay(true);
      socket.write(`GET /v1/jobs/${id} HTTP/1.1\r\nhost: ${hostname}\r\nauthorization: ${auth.authorization}\r\naccept: text/event-stream\r\n\r\n`);
    });
    socket.on("data", (chunk: Buffer) => {
      if (!started) {
        head = Buffer.concat([head, chunk]);
        if (!head.includes(firstEvent)) return;
        if (!head.includes("content-type: text/event-stream")) return fail(new Error(`no stream: ${head.toString().slice(0, 200)}`));
        started = true;
        ready({ terminal });
        chunk = head;
      }
      if (chunk.includes(terminalMark)) {
        resolveTerminal(performance.now());
      }
    });
    socket.on("error", fail);
  });
}

/** One round: N streams on a new job of `watched`, the cancel sent to `changer`; the latencies, A's and this reader's on-CPU ms. */
async function round(watched: string, changer: string, watchedPid: number): Promise<{ latencies: number[]; cpuMs: number; readerCpuMs: number }> {
  const submitted = await fetch(`${changer}/v1/jobs`, { method: "POST", headers: auth, body: '{"type":"conformance.echo","input":{}}' });
  const job = (await submitted.json()) as { id: string };
  const open = [];
  for (let i = 0; i < streams; i += 100) {
    open.push(...(await Promise.all(Array.from({ length: Math.min(100, streams - i) }, () => openStream(watched, job.id)))));
  }
  await new Promise((r) => setTimeout(r, 200));
  const from = monotonicUs();
  const cpuBefore = onCpuMs(watchedPid);
  const readerBefore = onCpuMs(process.pid);
  const t0 = performance.now();
  const canceled = await fetch(`${changer}/v1/jobs/${job.id}/cancel`, { method: "POST", headers: auth });
  if (canceled.status !== 200) throw new Error(`cancel answered ${canceled.status}`);
  const arrivals = await Promise.all(open.map((s) => s.terminal));
  const cpuMs = onCpuMs(watchedPid) - cpuBefore;
  const readerCpuMs = onCpuMs(process.pid) - readerBefore;
  windows.push([from, monotonicUs()]);
  return { latencies: arrivals.map((t) => t - t0), cpuMs, readerCpuMs };
}

const msList = (values: number[]) => values.map((ms) => ms.toFixed(1)).join(" / ");
type Round = Awaited<ReturnType<typeof round>>;
/**
 * The pooled percentiles, then per round: the first delivery (the notification path: commit
 * seen, job read), the p99 (plus the spread of the writes to every socket), A's on-CPU time and
 * this reader's (when the reader needs as much CPU as A, its own lag is part of the figures).
 */
function summary(name: string, rounds: Round[]) {
  const sorted = rounds.flatMap((r) => r.latencies).sort((a, b) => a - b);
  const rows = `${sorted.length} deliveries, p50 ${percentile(sorted, 50).toFixed(1)} ms, p99 ${percentile(sorted, 99).toFixed(1)} ms, max ${sorted.at(-1)!.toFixed(1)} ms`;
  console.log(`${name.padEnd(44)} ${rows}`);
  const perRound = rounds.map((r) => ({ ...r, sorted: [...r.latencies].sort((a, b) => a - b) }));
  console.log(`${"".padEnd(44)} per round: first ${msList(perRound.map((r) => r.sorted[0]!))} ms; p99 ${msList(perRound.map((r) => percentile(r.sorted, 99)))} ms`);
  console.log(`${"".padEnd(44)} on-CPU per change: A ${msList(rounds.map((r) => r.cpuMs))} ms; reader ${msList(rounds.map((r) => r.readerCpuMs))} ms`);
}

async function measure(name: string, store: string, blobDir: string, twoProcesses: boolean) {
  const watched = await startServer(store, blobDir, values.profile);
  const changer = twoProcesses ? await startServer(store, blobDir) : watched;
  try {
    const measured: Round[] = [];
    for (let r = 0; r < rounds; r++) measured.push(await round(watched.url, changer.url, watched.pid));
    summary(`${name}, ${streams} streams`, measured);
  } finally {
    await stopServers();
  }
}

/** Server A's self time per function within the delivery windows, from its CPU profiles. */
function printProfile(dir: string) {
  type Node = { id: number; callFrame: { functionName: string; url: string; lineNumber: number } };
  const self = new Map<string, number>();
  let total = 0;
  for (const file of readdirSync(dir).filter((f) => f.endsWith(".cpuprofile"))) {
    const profile = JSON.parse(readFileSync(join(dir, file), "utf8")) as { nodes: Node[]; startTime: number; samples: number[]; timeDeltas: number[] };
    const nodes = new Map(profile.nodes.map((n) => [n.id, n]));
    let at = profile.startTime;
    profile.samples.forEach((id, i) => {
      const delta = profile.timeDeltas[i] ?? 0;
      at += delta;
      if (!windows.some(([from, to]) => at >= from && at <= to)) return;
      const { functionName, url, lineNumber } = nodes.get(id)!.callFrame;
      const key = `${functionName || "(anonymous)"} ${url.split("/").slice(-2).join("/")}${url ? `:${lineNumber + 1}` : ""}`;
      self.set(key, (self.get(key) ?? 0) + delta / 1000);
      total += delta / 1000;
    });
  }
  console.log(`\nserver A, delivery windows only: ${total.toFixed(0)} ms of samples`);
  for (const [key, ms] of [...self].sort((a, b) => b[1] - a[1]).slice(0, 20)) {
    console.log(`${ms.toFixed(1).padStart(8)} ms ${((ms / total) * 100).toFixed(1).padStart(5)} %  ${key}`);
  }
}

const dir = mkdtempSync(join(tmpdir(), "async-jobs-bench-streams-"));
try {
  if (setups.has("same")) await measure("same process (SQLite)", `sqlite:${join(dir, "same.db")}`, join(dir, "blobs"), false);
  if (setups.has("sqlite")) await measure("two processes, one SQLite file", `sqlite:${join(dir, "shared.db")}`, join(dir, "blobs"), true);
  if (setups.has("postgres")) {
    const cluster = await startPostgresCluster();
    try {
      await measure("two processes, one Postgres", await cluster.createDatabase("bench"), join(dir, "blobs"), true);
    } finally {
      await stopServers();
      await cluster.stop();
    }
  }
  console.log(`(goal p99 < 50 ms at 1,000 streams; ${rounds} rounds each; Node ${process.version})`);
  if (values.profile) printProfile(values.profile);
} finally {
  await stopServers();
  rmSync(dir, { recursive: true, force: true });
}
