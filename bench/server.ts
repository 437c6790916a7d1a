// Bench: the reference server against its framework's ceiling (a bare fastify handler answering
// a constant), through HTTP on loopback, printing each goal of issue 14 in one run:
//
//   npx tsx --conditions=async-jobs-source bench/server.ts [--duration 5] [--windows 3] [--connections 32]
//       [--jobs 4000] [--waits 1000] [--samples 100] [--ingest-mib 256] [--no-postgres] [--only reads,wake,e2e,pg,ingest]
//   (pg is pg-reads,pg-wake,pg-submits; BENCH_CPU_PROF=DIR profiles the server processes)
//
// | figure                                               | goal (issue 14, 2 cores)        |
// | status reads/s ÷ bare fastify GET (SQLite, Postgres)  | ≥ 0.65                          |
// | durable submits/s ÷ bare fastify POST (SQLite, Postgres) | ≥ 0.5                        |
// | end-to-end conformance.echo jobs/s, SQLite, one process | ≥ 4,000                       |
// | HTTP submits/s on Postgres                           | ≥ 4,000 (bench/server/postgres-submits.ts) |
// | long-poll wake p99 at 1,000 held waits: same process, other process, Postgres | < 50 ms |
// | RSS of the server process under the read load        | ≤ 150 MB                        |
// | part PUT ingest ÷ a discarding server                | ≥ 0.7 (bench/server/part-ingest.ts) |
//
// The load generator (autocannon, the held polls) runs in its own process (bench/support/
// load-generator.ts), for the server and the bare fastify alike. Each section is a module under
// bench/server/ returning rows of one shape (bench-row.ts). Figures move with the machine;
// ratios measured in the same run are what to compare.
import { mkdtempSync, rmSync } from "node:fs";
import { loadavg, tmpdir } from "node:os";
import { join } from "node:path";
import { parseArgs } from "node:util";
import { measureApiRequests } from "./server/api-requests.ts";
import { startBareFastify } from "./server/bare-fastify.ts";
import { type BenchRow, formatRows } from "./server/bench-row.ts";
import { measureEndToEnd } from "./server/end-to-end.ts";
import { measurePartIngest } from "./server/part-ingest.ts";
import { measurePostgresSubmits } from "./server/postgres-submits.ts";
import { startLoadGenerator } from "./support/load-generator.ts";
import { measureWakeLatency } from "./server/wake-latency.ts";

const { values } = parseArgs({
  options: {
    duration: { type: "string", default: "5" },
    // Reads and submits: this many bare-then-server pairs of runs; the median ratio is printed.
    windows: { type: "string", default: "3" },
    connections: { type: "string", default: "32" },
    jobs: { type: "string", default: "4000" },
    waits: { type: "string", default: "1000" },
    samples: { type: "string", default: "100" },
    "no-postgres": { type: "boolean", default: false },
    "ingest-mib": { type: "string", default: "256" },
    only: { type: "string" },
  },
});
const sections = new Set(
  (values.only ?? "reads,wake,e2e,pg,ingest").split(",").flatMap((s) => (s === "pg" ? ["pg-reads", "pg-wake", "pg-submits"] : [s])),
);
const durationS = Number(values.duration);
const windows = Number(values.windows);
const connections = Number(values.connections);
const waits = Number(values.waits);
const samples = Number(values.samples);

const load = startLoadGenerator({ connections, duration: durationS });
const dir = mkdtempSync(join(tmpdir(), "async-jobs-bench-"));
const rows: BenchRow[] = [];
const add = (more: BenchRow[]) => {
  for (const row of more) console.error(`… ${row.figure}: ${row.value.toFixed(1)} ${row.unit}${row.ratio === undefined ? "" : ` (${row.ratio.toFixed(2)}×)`}`);
  rows.push(...more);
};
const sqlite = (name: string) => `sqlite:${join(dir, `${name}.db`)}`;
const bare = await startBareFastify(load);
let cluster: { stop(): Promise<void>; createDatabase(name: string): Promise<string> } | undefined;

try {
  if (sections.has("reads")) add(await measureApiRequests(load, { store: sqlite("requests"), dir, label: "SQLite", bare, windows }));
  if (sections.has("wake")) add(await measureWakeLatency(load, { store: sqlite("wake"), dir, label: "SQLite", waits, samples }));
  if (sections.has("e2e")) add([await measureEndToEnd(load, { store: sqlite("e2e"), dir, label: "SQLite", jobs: Number(values.jobs), rounds: windows })]);

  const postgres = !values["no-postgres"] && (sections.has("pg-reads") || sections.has("pg-wake"));
  if (postgres) {
    const { startPostgresCluster } = await import("../reference-server/test/support/postgres-cluster.ts");
    cluster = await startPostgresCluster();
  }
  if (cluster && sections.has("pg-reads")) {
    add(await measureApiRequests(load, { store: await cluster.createDatabase("bench_requests"), dir, label: "Postgres", bare, windows }));
  }
  if (cluster && sections.has("pg-wake")) {
    add(await measureWakeLatency(load, { store: await cluster.createDatabase("bench_wake"), dir, label: "Postgres", waits, samples, sameProcess: false }));
  }

  // HTTP submits/s on Postgres ÷ the store alone, and part PUT ingest ÷ a discarding server:
  // each section starts what it needs (its own cluster, servers and load generator).
  if (sections.has("pg-submits") && !values["no-postgres"]) add(await measurePostgresSubmits({ durationS }));
  if (sections.has("ingest")) add(await measurePartIngest({ sizeMiB: Number(values["ingest-mib"]) }));
} finally {
  load.close();
  await bare.close();
  await cluster?.stop();
  rmSync(dir, { recursive: true, force: true });
}

console.log(formatRows(rows));
console.log(
  `(${connections} connections, ${durationS} s per autocannon run, Node ${process.version}, load average ${loadavg()
    .map((l) => l.toFixed(1))
    .join(" ")})`,
);
