import { SUBMIT_BODY } from "./bare-fastify.ts";
import type { BenchRow } from "./bench-row.ts";
import { JSON_AUTH, startBenchServer } from "./bench-server.ts";
import type { LoadGenerator } from "../support/load-generator.ts";
import { median } from "../support/median.ts";

/**
 * End-to-end `conformance.echo` jobs/s in one process: `jobs` submitted through HTTP by the load
 * generator, run by the in-process worker, timed until the last one has succeeded, after a
 * quarter as many as a warm-up; `rounds` such rounds, the median printed with their span (a
 * round lasts about a second, so one GC or preemption moved a lone round by a fifth).
 *
 * @example
 * rows.push(await measureEndToEnd(load, { store, dir, label: "SQLite", jobs: 4000, rounds: 3 }));
 */
export async function measureEndToEnd(
  load: LoadGenerator,
  options: { store: string; dir: string; label: string; jobs: number; rounds: number },
): Promise<BenchRow> {
  const { jobs, rounds } = options;
  const server = await startBenchServer(options.store, options.dir, ["--worker-concurrency", "64"]);
  try {
    let succeeded = 0;
    let expected = 0;
    let allDone: (at: number) => void = () => {};
    server.store.changes.onAny((change) => {
      if (change.kind === "job" && change.status === "succeeded" && ++succeeded === expected) allDone(performance.now());
    });
    /** Submits `amount` jobs and resolves with the time from the first submit to the last success. */
    const round = async (amount: number) => {
      succeeded = 0;
      expected = amount;
      // Timed at the last success, not at autocannon's return: autocannon ends a run only at its
      // next one-second sample, which made this figure jobs ÷ whole seconds (1,980 = 4,000 in 2 s).
      const done = new Promise<number>((resolve) => (allDone = resolve));
      const started = performance.now();
      const submits = await load.run({ options: { url: `${server.url}/v1/jobs`, method: "POST", headers: JSON_AUTH, body: SUBMIT_BODY, amount, duration: undefined } });
      if (submits.non2xx > 0 || submits.errors > 0) throw new Error(`end-to-end submits failed: ${JSON.stringify(submits)}`);
      return ((await done) - started) / 1000;
    };
    // A warm-up round first, not timed: the timed round lasts about a second, and a fresh
    // process runs its first jobs before the JIT has compiled their path.
    await round(Math.ceil(jobs / 4));
    const perS: number[] = [];
    for (let i = 0; i < rounds; i++) perS.push(jobs / (await round(jobs)));
    const span = `${Math.round(Math.min(...perS)).toLocaleString("en-US")}–${Math.round(Math.max(...perS)).toLocaleString("en-US")}`;
    return {
      figure: `end-to-end conformance.echo jobs/s (${jobs} jobs after ${Math.ceil(jobs / 4)} not timed, median of ${rounds} rounds ${span}), ${options.label}, one process`,
      value: median(perS),
      unit: "jobs/s",
      goal: "≥ 4,000",
    };
  } finally {
    await server.close();
  }
}
