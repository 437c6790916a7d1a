import { type BareFastify, SUBMIT_BODY } from "./bare-fastify.ts";
import { againstBare, type BenchRow } from "./bench-row.ts";
import { JSON_AUTH, startServerProcess, submitOne, TOKEN } from "./bench-server.ts";
import type { LoadGenerator } from "../support/load-generator.ts";
import { postgresMeters } from "./postgres-submits.ts";

/**
 * Status reads (`GET /v1/jobs/{id}`) and durable submits (a fresh Idempotency-Key each, `202`
 * after the commit is on disk), each against the bare fastify GET or POST measured just before it,
 * with no worker running, so they measure the API and the store alone; and the peak RSS of the
 * server's process (its own, as deployed) under the reads. On Postgres, also the cluster's CPU
 * per request: it shares the machine's cores with the server.
 *
 * @example
 * rows.push(...(await measureApiRequests(load, { store: "sqlite:/tmp/b/jobs.db", dir: "/tmp/b", label: "SQLite", bare })));
 */
export async function measureApiRequests(
  load: LoadGenerator,
  options: { store: string; dir: string; label: string; bare: BareFastify },
): Promise<BenchRow[]> {
  const { label, bare } = options;
  const api = await startServerProcess(options.store, options.dir, ["--no-worker"]);
  const postgres = options.store.startsWith("postgres") ? await postgresMeters(options.store) : undefined;
  const postgresCpu = () => postgres?.cpuSeconds() ?? 0;
  try {
    const id = await submitOne(api.url);
    const bareGet = await bare.get();
    let peakRss = 0;
    const sampler = setInterval(() => (peakRss = Math.max(peakRss, api.rss())), 100);
    let [cpu, pgCpu] = [api.cpuSeconds(), postgresCpu()];
    const reads = await load.run({ options: { url: `${api.url}/v1/jobs/${id}`, headers: { authorization: `Bearer ${TOKEN}` } } });
    const readsCpu = api.cpuSeconds() - cpu;
    const readsPgCpu = postgresCpu() - pgCpu;
    clearInterval(sampler);
    const barePost = await bare.post();
    [cpu, pgCpu] = [api.cpuSeconds(), postgresCpu()];
    const submits = await load.run({ options: { url: `${api.url}/v1/jobs`, method: "POST", headers: JSON_AUTH, body: SUBMIT_BODY }, idempotencyKeys: true });
    const submitsCpu = api.cpuSeconds() - cpu;
    const submitsPgCpu = postgresCpu() - pgCpu;
    for (const [name, figures] of [["reads", reads], ["submits", submits]] as const) {
      if (figures.non2xx > 0 || figures.errors > 0) console.error(`! ${label} ${name}: ${figures.non2xx} non-2xx, ${figures.errors} errors`);
    }
    const perRequest = (seconds: number, figures: { total: number }) => (seconds * 1e6) / figures.total;
    const postgresRows: BenchRow[] = postgres
      ? [
          { figure: `  Postgres CPU per status read (server process: ${perRequest(readsCpu, reads).toFixed(0)} µs)`, value: perRequest(readsPgCpu, reads), unit: "µs", goal: "(lower is better)" },
          { figure: `  Postgres CPU per durable submit (server process: ${perRequest(submitsCpu, submits).toFixed(0)} µs)`, value: perRequest(submitsPgCpu, submits), unit: "µs", goal: "(lower is better)" },
        ]
      : [];
    return [
      againstBare({ figure: `status reads/s, ${label}`, value: reads.rps, unit: "req/s", goal: "≥ 0.65× bare GET" }, bareGet.rps),
      againstBare({ figure: `  status reads per CPU-second, ${label}`, value: reads.total / readsCpu, unit: "req/s", goal: "(load-proof)" }, bareGet.perCpuS),
      againstBare({ figure: `durable submits/s (Idempotency-Key), ${label}`, value: submits.rps, unit: "req/s", goal: "≥ 0.5× bare POST" }, barePost.rps),
      againstBare({ figure: `  durable submits per CPU-second, ${label}`, value: submits.total / submitsCpu, unit: "req/s", goal: "(load-proof)" }, barePost.perCpuS),
      ...postgresRows,
      { figure: `peak RSS of the server process under the read load, ${label}`, value: peakRss / 2 ** 20, unit: "MB", goal: "≤ 150 MB" },
    ];
  } finally {
    await postgres?.close();
    await api.close();
  }
}
