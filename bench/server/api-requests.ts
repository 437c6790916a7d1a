import { type BareFastify, type BareFigures, SUBMIT_BODY } from "./bare-fastify.ts";
import { againstBare, type BenchRow } from "./bench-row.ts";
import { JSON_AUTH, startServerProcess, submitOne, TOKEN } from "./bench-server.ts";
import type { LoadFigures, LoadGenerator } from "../support/load-generator.ts";
import { medianBy } from "../support/median.ts";
import { postgresMeters } from "./postgres-submits.ts";

/**
 * Status reads (`GET /v1/jobs/{id}`) and durable submits (a fresh Idempotency-Key each, `202`
 * after the commit is on disk), each against the bare fastify GET or POST measured just before it,
 * in `windows` alternated pairs (the median ratio's pair is printed, with the windows' span),
 * with no worker running, so they measure the API and the store alone; and the peak RSS of the
 * server's process (its own, as deployed) under the reads. On Postgres, also the cluster's CPU
 * per request: it shares the machine's cores with the server.
 *
 * @example
 * rows.push(...(await measureApiRequests(load, { store: "sqlite:/tmp/b/jobs.db", dir: "/tmp/b", label: "SQLite", bare })));
 */
export async function measureApiRequests(
  load: LoadGenerator,
  options: { store: string; dir: string; label: string; bare: BareFastify; windows?: number },
): Promise<BenchRow[]> {
  const { label, bare, windows = 3 } = options;
  const api = await startServerProcess(options.store, options.dir, ["--no-worker"]);
  const postgres = options.store.startsWith("postgres") ? await postgresMeters(options.store) : undefined;
  const postgresCpu = () => postgres?.cpuSeconds() ?? 0;
  try {
    const id = await submitOne(api.url);
    const reading = { url: `${api.url}/v1/jobs/${id}`, headers: { authorization: `Bearer ${TOKEN}` } };
    const submitting = { url: `${api.url}/v1/jobs`, method: "POST", headers: JSON_AUTH, body: SUBMIT_BODY };
    // One untimed second of each load first: a fresh process answers its first thousands of
    // requests before the JIT has compiled their path (the bare handler, in the bench's own
    // process, has run before). Submits come after the reads, so the RSS is the reads' alone.
    await load.run({ options: { ...reading, duration: 1 } });
    const measured = async (run: () => Promise<LoadFigures>) => {
      const [cpu, pgCpu] = [api.cpuSeconds(), postgresCpu()];
      const figures = await run();
      return { ...figures, cpuS: api.cpuSeconds() - cpu, pgCpuS: postgresCpu() - pgCpu };
    };
    let peakRss = 0;
    const sampler = setInterval(() => (peakRss = Math.max(peakRss, api.rss())), 100);
    const reads = await alternated(windows, bare.get, () => measured(() => load.run({ options: reading })));
    clearInterval(sampler);
    await load.run({ options: { ...submitting, duration: 1 }, idempotencyKeys: true });
    const submits = await alternated(windows, bare.post, () => measured(() => load.run({ options: submitting, idempotencyKeys: true })));
    for (const [name, pairs] of [["reads", reads], ["submits", submits]] as const) {
      const refused = pairs.reduce((n, p) => n + p.server.non2xx + p.server.errors, 0);
      if (refused > 0) console.error(`! ${label} ${name}: ${refused} non-2xx or errors`);
    }
    const perRequest = (pairs: typeof reads, seconds: (p: (typeof reads)[number]) => number) =>
      (pairs.reduce((sum, p) => sum + seconds(p), 0) * 1e6) / pairs.reduce((sum, p) => sum + p.server.total, 0);
    const postgresRows: BenchRow[] = postgres
      ? [
          { figure: `  Postgres CPU per status read (server process: ${perRequest(reads, (p) => p.server.cpuS).toFixed(0)} µs)`, value: perRequest(reads, (p) => p.server.pgCpuS), unit: "µs", goal: "(lower is better)" },
          { figure: `  Postgres CPU per durable submit (server process: ${perRequest(submits, (p) => p.server.cpuS).toFixed(0)} µs)`, value: perRequest(submits, (p) => p.server.pgCpuS), unit: "µs", goal: "(lower is better)" },
        ]
      : [];
    const span = (pairs: typeof reads, ratio: (p: (typeof reads)[number]) => number) =>
      pairs.length > 1 ? `, windows ${Math.min(...pairs.map(ratio)).toFixed(2)}–${Math.max(...pairs.map(ratio)).toFixed(2)}` : "";
    const rowsOf = (pairs: typeof reads, name: string, goal: string): BenchRow[] => {
      const byRps = medianBy(pairs, (p) => p.server.rps / p.bare.rps);
      const byCpu = medianBy(pairs, (p) => p.server.total / p.server.cpuS / p.bare.perCpuS);
      return [
        againstBare({ figure: `${name}, ${label}${span(pairs, (p) => p.server.rps / p.bare.rps)}`, value: byRps.server.rps, unit: "req/s", goal }, byRps.bare.rps),
        againstBare(
          { figure: `  ${name.replace("/s", "")} per CPU-second, ${label}`, value: byCpu.server.total / byCpu.server.cpuS, unit: "req/s", goal: "(load-proof)" },
          byCpu.bare.perCpuS,
        ),
      ];
    };
    return [
      ...rowsOf(reads, "status reads/s", "≥ 0.65× bare GET"),
      ...rowsOf(submits, "durable submits/s (Idempotency-Key)", "≥ 0.5× bare POST"),
      ...postgresRows,
      { figure: `peak RSS of the server process under the read load, ${label}`, value: peakRss / 2 ** 20, unit: "MB", goal: "≤ 150 MB" },
    ];
  } finally {
    await postgres?.close();
    await api.close();
  }
}

/**
 * `windows` runs of the bare counterpart each followed by the server's: on a shared machine one
 * slow window would otherwise make the figure.
 */
async function alternated<T>(windows: number, bareRun: () => Promise<BareFigures>, serverRun: () => Promise<T>) {
  const pairs: { bare: BareFigures; server: T }[] = [];
  for (let w = 0; w < windows; w++) pairs.push({ bare: await bareRun(), server: await serverRun() });
  return pairs;
}
