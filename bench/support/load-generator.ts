// autocannon in its own process: in the process under test (or the bench's, beside a store)
// it would take a share of this 2-core machine's CPU from what it measures.
import { type ChildProcess, fork } from "node:child_process";
import { randomUUID } from "node:crypto";
import { createRequire } from "node:module";
import { fileURLToPath } from "node:url";

/** The slice of autocannon's result the benches read. */
export interface LoadFigures {
  rps: number;
  total: number;
  p50Ms: number;
  p99Ms: number;
  non2xx: number;
  errors: number;
}

/** One run: autocannon's options, plus a fresh `Idempotency-Key` (UUID) on every request. */
export interface LoadRun {
  options: Record<string, unknown>;
  idempotencyKeys?: boolean;
}

const CHILD_FLAG = "--load-generator-child";

/**
 * Durable submits of `conformance.echo` to an API, each with a fresh Idempotency-Key: every one
 * is a durable insert of job and key.
 *
 * @example
 * await load.run(keyedSubmitsRun({ api, token, connections: 16, durationS: 5 }));
 */
export function keyedSubmitsRun(o: { api: string; token: string; connections: number; durationS: number }): LoadRun {
  return {
    options: {
      url: `${o.api}/v1/jobs`,
      method: "POST",
      headers: { authorization: `Bearer ${o.token}`, "content-type": "application/json" },
      body: JSON.stringify({ type: "conformance.echo", input: { value: 1 } }),
      connections: o.connections,
      duration: o.durationS,
    },
    idempotencyKeys: true,
  };
}

/**
 * Forks a child that runs one autocannon run per `run()` call and sends its figures back.
 *
 * @example
 * const load = startLoadGenerator();
 * const { rps } = await load.run({ options: { url, connections: 16, duration: 5 } });
 * load.close();
 */
export function startLoadGenerator() {
  const child: ChildProcess = fork(fileURLToPath(import.meta.url), [CHILD_FLAG], { stdio: "inherit" });
  // Runs may overlap (one per API process at once): answers carry the run's number.
  const pending = new Map<number, { resolve(figures: LoadFigures): void; reject(error: Error): void }>();
  let runs = 0;
  child.on("message", ({ run, figures }: { run: number; figures: LoadFigures }) => {
    pending.get(run)?.resolve(figures);
    pending.delete(run);
  });
  child.on("exit", (code) => {
    for (const waiter of pending.values()) waiter.reject(new Error(`the load generator exited with ${code}`));
    pending.clear();
  });
  return {
    run(job: LoadRun): Promise<LoadFigures> {
      const run = ++runs;
      return new Promise((resolve, reject) => {
        pending.set(run, { resolve, reject });
        child.send({ run, job });
      });
    },
    close: () => child.kill(),
  };
}

if (process.argv.includes(CHILD_FLAG)) {
  // autocannon ships no types; this is the slice used here.
  type Result = { requests: { average: number; total: number }; latency: { p50: number; p99: number }; non2xx: number; errors: number };
  const autocannon = createRequire(import.meta.url)("autocannon") as (options: Record<string, unknown>) => Promise<Result>;
  process.on("message", async ({ run, job }: { run: number; job: LoadRun }) => {
    const options = { ...job.options };
    if (job.idempotencyKeys) {
      const request = { method: options.method, headers: options.headers, body: options.body };
      options.requests = [
        {
          ...request,
          setupRequest: (req: { headers: Record<string, string> }) => ({ ...req, headers: { ...req.headers, "idempotency-key": randomUUID() } }),
        },
      ];
    }
    const result = await autocannon(options);
    const figures: LoadFigures = {
      rps: result.requests.average,
      total: result.requests.total,
      p50Ms: result.latency.p50,
      p99Ms: result.latency.p99,
      non2xx: result.non2xx,
      errors: result.errors,
    };
    process.send!({ run, figures });
  });
}
