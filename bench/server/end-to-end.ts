import { SUBMIT_BODY } from "./bare-fastify.ts";
import type { BenchRow } from "./bench-row.ts";
import { JSON_AUTH, startBenchServer } from "./bench-server.ts";
import type { LoadGenerator } from "../support/load-generator.ts";

/**
 * End-to-end `conformance.echo` jobs/s in one process: `jobs` submitted through HTTP by the load
 * generator, run by the in-process worker, timed until the last one has succeeded.
 *
 * @example
 * rows.push(await measureEndToEnd(load, { store, dir, label: "SQLite", jobs: 4000 }));
 */
export async function measureEndToEnd(load: LoadGenerator, options: { store: string; dir: string; label: string; jobs: number }): Promise<BenchRow> {
  const { jobs } = options;
  const server = await startBenchServer(options.store, options.dir, ["--worker-concurrency", "64"]);
  try {
    let succeeded = 0;
    let allDone!: (at: number) => void;
    // Timed at the last success, not at autocannon's return: autocannon ends a run only at its
    // next one-second sample, which made this figure jobs ÷ whole seconds (1,980 = 4,000 in 2 s).
    const done = new Promise<number>((resolve) => (allDone = resolve));
    server.store.changes.onAny((change) => {
      if (change.kind === "job" && change.status === "succeeded" && ++succeeded === jobs) allDone(performance.now());
    });
    const started = performance.now();
    const submits = await load.run({ options: { url: `${server.url}/v1/jobs`, method: "POST", headers: JSON_AUTH, body: SUBMIT_BODY, amount: jobs, duration: undefined } });
    if (submits.non2xx > 0 || submits.errors > 0) throw new Error(`end-to-end submits failed: ${JSON.stringify(submits)}`);
    const perS = jobs / (((await done) - started) / 1000);
    return { figure: `end-to-end conformance.echo jobs/s (${jobs} jobs), ${options.label}, one process`, value: perS, unit: "jobs/s", goal: "≥ 4,000" };
  } finally {
    await server.close();
  }
}
