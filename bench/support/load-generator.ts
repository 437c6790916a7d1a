// The benches' one load generator: autocannon runs and held long polls in a process of their
// own. In the process under test (or the bench's, beside a store or a bare fastify) they would
// take a share of this 2-core machine's CPU from what they measure.
import { type ChildProcess, fork } from "node:child_process";
import { randomUUID } from "node:crypto";
import { createRequire } from "node:module";
import { fileURLToPath } from "node:url";
import type { WakeFigures, WakeRequest } from "./held-polls.ts";

/** The slice of autocannon's result the benches read. */
export interface LoadFigures {
  rps: number;
  /** Requests answered in the run. */
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

/** What the parent asks the child for; answers carry `id`. */
type LoadAsk = { kind: "run"; job: LoadRun } | { kind: "wake"; request: WakeRequest };
type LoadRequest = LoadAsk & { id: number };

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

/** The load generator {@link startLoadGenerator} returns. */
export type LoadGenerator = ReturnType<typeof startLoadGenerator>;

/**
 * Forks the child. `run()` is one autocannon run (`defaults` fill autocannon options a run
 * leaves out, e.g. `{ connections: 32, duration: 5 }`); `wake()` holds long polls and times
 * their wakes. Calls may overlap (one run per API process at once).
 *
 * @example
 * const load = startLoadGenerator({ connections: 16, duration: 5 });
 * const { rps } = await load.run({ options: { url } });
 * load.close();
 */
export function startLoadGenerator(defaults: Record<string, unknown> = {}) {
  const child: ChildProcess = fork(fileURLToPath(import.meta.url), [CHILD_FLAG], { stdio: "inherit" });
  const pending = new Map<number, { resolve(answer: unknown): void; reject(error: Error): void }>();
  let asked = 0;
  child.on("message", ({ id, answer }: { id: number; answer: unknown }) => {
    pending.get(id)?.resolve(answer);
    pending.delete(id);
  });
  child.on("exit", (code) => {
    for (const waiter of pending.values()) waiter.reject(new Error(`the load generator exited with ${code}`));
    pending.clear();
  });
  function ask<T>(request: LoadAsk): Promise<T> {
    const id = ++asked;
    return new Promise((resolve, reject) => {
      pending.set(id, { resolve: resolve as (answer: unknown) => void, reject });
      child.send({ ...request, id });
    });
  }
  return {
    run: (job: LoadRun) => ask<LoadFigures>({ kind: "run", job: { ...job, options: { ...defaults, ...job.options } } }),
    wake: (request: WakeRequest) => ask<WakeFigures>({ kind: "wake", request }),
    close: () => child.kill(),
  };
}

if (process.argv.includes(CHILD_FLAG)) {
  // autocannon ships no types; this is the slice used here.
  type Result = { requests: { average: number; total: number }; latency: { p50: number; p99: number }; non2xx: number; errors: number };
  const autocannon = createRequire(import.meta.url)("autocannon") as (options: Record<string, unknown>) => Promise<Result>;
  const run = async (job: LoadRun): Promise<LoadFigures> => {
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
    return {
      rps: result.requests.average,
      total: result.requests.total,
      p50Ms: result.latency.p50,
      p99Ms: result.latency.p99,
      non2xx: result.non2xx,
      errors: result.errors,
    };
  };
  process.on("message", async (request: LoadRequest) => {
    const answer = request.kind === "run" ? await run(request.job) : await (await import("./held-polls.ts")).wakeHeldPolls(request.request);
    process.send!({ id: request.id, answer });
  });
}
