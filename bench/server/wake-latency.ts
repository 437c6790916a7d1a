import { type BenchRow, percentile } from "./bench-row.ts";
import { startBenchServer, submitOne, TENANT, TOKEN } from "./bench-server.ts";
import type { LoadGenerator } from "../support/load-generator.ts";

/**
 * Long-poll wake latency with `waits` polls held at once (each on its own queued job, from the
 * load generator's process): `samples` of them are woken one by one by a cancel committed in the
 * server's process (through the API) and by one committed by another process (the load
 * generator's own store connection), timed from just before the cancel to the poll's answer.
 *
 * @example
 * rows.push(...(await measureWakeLatency(load, { store, dir, label: "SQLite", waits: 1000, samples: 100 })));
 */
export async function measureWakeLatency(
  load: LoadGenerator,
  options: { store: string; dir: string; label: string; waits: number; samples: number; sameProcess?: boolean },
): Promise<BenchRow[]> {
  const { label, waits, samples } = options;
  const caps = ["--no-worker", "--max-held-waits", String(waits * 2), "--max-held-waits-per-tenant", String(waits * 2)];
  const api = await startBenchServer(options.store, options.dir, caps);
  const rows: BenchRow[] = [];
  try {
    const vias = options.sameProcess === false ? (["other process"] as const) : (["same process", "other process"] as const);
    for (const via of vias) {
      const ids: string[] = [];
      for (let i = 0; i < waits; i++) ids.push(await submitOne(api.url));
      const figures = await load.wake({
        url: api.url,
        token: TOKEN,
        tenant: TENANT,
        ids,
        samples,
        cancelVia: via === "same process" ? "http" : options.store,
      });
      if (figures.early > 0) console.error(`! ${label} ${via}: ${figures.early} of ${waits} polls were answered before their cancel`);
      const p50 = percentile(figures.latencies, 50).toFixed(1);
      rows.push({
        figure: `long-poll wake p99 at ${waits} held waits, ${label}, cancel from the ${via} (p50 ${p50} ms)`,
        value: percentile(figures.latencies, 99),
        unit: "ms",
        goal: "< 50 ms",
      });
    }
    return rows;
  } finally {
    await api.close();
  }
}
