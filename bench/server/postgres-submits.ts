// HTTP submits on Postgres (issue 14): durable submits/s through one API process (each with a
// fresh Idempotency-Key, 202 only after the commit), load from autocannon in its own process,
// beside the Postgres store alone doing the same submits from this process (its bare
// counterpart: what is left is the HTTP path's cost). A throwaway cluster with fsync and
// synchronous_commit on, as the tests start it; the two sides alternate, best of each kept.
//   npx tsx --conditions=async-jobs-source bench/server/postgres-submits.ts [durationS]
// BENCH_CPU_PROF=DIR profiles the API process (node --cpu-prof).
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import pg from "pg";
import { openPostgresJobStore } from "../../reference-server/src/store/postgres/postgres-job-store.ts";
import { startPostgresCluster } from "../../reference-server/test/support/postgres-cluster.ts";
import { cpuSecondsOf, createCliProcesses, treeCpuSecondsOf } from "../support/cli-processes.ts";
import { keyedSubmitsRun, startLoadGenerator } from "../support/load-generator.ts";
import { printRows, type SectionRow } from "../support/section-row.ts";
import { storeSubmits } from "../support/store-submits.ts";

const TOKEN = "bench-token";
const CONNECTIONS = 16;
const ROUNDS = 2;

/**
 * Durable HTTP submits/s on Postgres (one API process) beside the store alone.
 *
 * @example
 * const rows = await measurePostgresSubmits({ durationS: 5 }); // rows[0].ratio: HTTP ÷ store alone
 */
export async function measurePostgresSubmits(opts: { durationS: number }): Promise<SectionRow[]> {
  const cluster = await startPostgresCluster();
  const blobDir = mkdtempSync(join(tmpdir(), "aj-bench-pg-submits-"));
  const cli = createCliProcesses();
  const load = startLoadGenerator();
  try {
    const url = await cluster.createDatabase("bench_submits");
    const store = await openPostgresJobStore({ url, poolSize: CONNECTIONS });
    const meters = await postgresMeters(url);
    const postgresCpu = meters.cpuSeconds;
    const { match: api, pid: apiPid } = await cli.start(
      ["serve", "--port", "0", "--no-worker", "--store", url, "--blob-dir", blobDir, "--tokens", `${TOKEN}:t1`],
      /listening on (\S+)/,
    );
    const submits = (durationS: number) => load.run(keyedSubmitsRun({ api, token: TOKEN, connections: CONNECTIONS, durationS }));
    await submits(2); // warm-up: JIT, pools, prepared statements
    let http = 0;
    let alone = 0;
    let failed = 0;
    let p99 = 0;
    // CPU per submit is steadier than submits/s on a shared machine.
    const cpu = { api: 0, postgresHttp: 0, postgresAlone: 0, storeAlone: 0, httpSubmits: 0, aloneSubmits: 0, httpCommits: 0, aloneCommits: 0 };
    for (let round = 0; round < ROUNDS; round++) {
      let commits0 = await meters.commits();
      let [pg0, own0] = [postgresCpu(), process.cpuUsage()];
      const storeRate = await storeSubmits(store, CONNECTIONS, opts.durationS);
      const own = process.cpuUsage(own0);
      cpu.aloneCommits += (await meters.commits()) - commits0;
      cpu.storeAlone += (own.user + own.system) / 1e6;
      cpu.postgresAlone += postgresCpu() - pg0;
      cpu.aloneSubmits += storeRate * opts.durationS;
      alone = Math.max(alone, storeRate);
      commits0 = await meters.commits();
      const api0 = cpuSecondsOf(apiPid);
      pg0 = postgresCpu();
      const figures = await submits(opts.durationS);
      cpu.api += cpuSecondsOf(apiPid) - api0;
      cpu.postgresHttp += postgresCpu() - pg0;
      cpu.httpCommits += (await meters.commits()) - commits0;
      cpu.httpSubmits += figures.total;
      failed += figures.non2xx + figures.errors;
      if (figures.rps > http) [http, p99] = [figures.rps, figures.p99Ms];
    }
    await store.close();
    await meters.close();
    const perSubmit = (seconds: number, count: number) => (seconds * 1e6) / count;
    if (failed > 0) throw new Error(`${failed} submits failed`);
    return [
      {
        figure: `HTTP submits/s on Postgres, 1 API process, ${CONNECTIONS} connections (Idempotency-Key, 202 after commit; p99 ${p99} ms)`,
        value: http,
        unit: "/s",
        bare: alone,
        ratio: http / alone,
        goal: "≥ 4,000/s (bare: the store alone, 16 callers)",
      },
      {
        figure: "  API process CPU per HTTP submit (bare: the bench process's per store submit)",
        value: perSubmit(cpu.api, cpu.httpSubmits),
        unit: "µs",
        bare: perSubmit(cpu.storeAlone, cpu.aloneSubmits),
        ratio: cpu.api / cpu.httpSubmits / (cpu.storeAlone / cpu.aloneSubmits),
        goal: "(lower is better)",
      },
      {
        figure: "  Postgres CPU per HTTP submit (bare: per store submit)",
        value: perSubmit(cpu.postgresHttp, cpu.httpSubmits),
        unit: "µs",
        bare: perSubmit(cpu.postgresAlone, cpu.aloneSubmits),
        ratio: cpu.postgresHttp / cpu.httpSubmits / (cpu.postgresAlone / cpu.aloneSubmits),
        goal: "(lower is better)",
      },
      {
        figure: "  Postgres statements (transactions) per HTTP submit (bare: per store submit)",
        value: cpu.httpCommits / cpu.httpSubmits,
        unit: "",
        bare: cpu.aloneCommits / cpu.aloneSubmits,
        ratio: cpu.httpCommits / cpu.httpSubmits / (cpu.aloneCommits / cpu.aloneSubmits),
        goal: "(lower is better; group commit shares one among many)",
      },
    ];
  } finally {
    load.close();
    await cli.stopAll();
    await cluster.stop();
    rmSync(blobDir, { recursive: true, force: true });
  }
}

/**
 * Meters of the cluster: CPU seconds of its processes (postmaster and backends) so far, and
 * transactions committed in the database (every statement outside BEGIN is one); `close` ends
 * the meter's connection.
 */
export async function postgresMeters(url: string) {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  const { rows } = await client.query<{ data_directory: string }>("SHOW data_directory");
  const postmaster = Number(readFileSync(join(rows[0]!.data_directory, "postmaster.pid"), "utf8").split("\n")[0]);
  return {
    cpuSeconds: () => treeCpuSecondsOf(postmaster),
    async commits(): Promise<number> {
      // Backends report their counts when idle, at most once a second (PGSTAT_MIN_INTERVAL).
      await new Promise((r) => setTimeout(r, 1_200));
      await client.query("SELECT pg_stat_clear_snapshot()");
      const stat = await client.query<{ n: string }>("SELECT xact_commit AS n FROM pg_stat_database WHERE datname = current_database()");
      return Number(stat.rows[0]!.n);
    },
    close: () => client.end(),
  };
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  printRows(await measurePostgresSubmits({ durationS: Number(process.argv[2] ?? 5) }));
}
