import Fastify from "fastify";
import type { LoadGenerator, LoadRun } from "../support/load-generator.ts";

/** The submit body every POST figure sends, bare or not. */
export const SUBMIT_BODY = '{"type":"conformance.echo","input":{"value":1}}';

/** A bare run: requests/s, and requests per second of CPU of this process. */
export interface BareFigures {
  rps: number;
  perCpuS: number;
}

/** The bare counterparts, each measured when asked: right before the figure it is compared with. */
export interface BareFastify {
  get(): Promise<BareFigures>;
  post(): Promise<BareFigures>;
  close(): Promise<void>;
}

/**
 * The framework's ceiling on this machine now: a bare fastify GET and POST answering a constant,
 * loaded like the server. Each server figure is divided by its counterpart measured just before
 * it, so a machine whose load drifts during the run skews both alike.
 *
 * @example
 * const bare = await startBareFastify(load); const { rps, perCpuS } = await bare.get();
 */
export async function startBareFastify(load: LoadGenerator): Promise<BareFastify> {
  const bare = Fastify();
  bare.get("/c", async () => ({ status: "ok" }));
  bare.post("/c", async (_request, reply) => reply.code(202).send({ status: "ok" }));
  await bare.listen({ port: 0, host: "127.0.0.1" });
  const url = `http://127.0.0.1:${(bare.server.address() as { port: number }).port}/c`;
  // The bare handler lives in this process: its CPU during a run is this process's.
  async function measure(options: LoadRun["options"]): Promise<BareFigures> {
    const before = process.cpuUsage();
    const { rps, total } = await load.run({ options: { url, ...options } });
    const cpu = process.cpuUsage(before);
    // Requests per second of CPU (user + system): what a quiet core would answer.
    return { rps, perCpuS: total / ((cpu.user + cpu.system) / 1e6) };
  }
  return {
    get: () => measure({}),
    post: () => measure({ method: "POST", headers: { "content-type": "application/json" }, body: SUBMIT_BODY }),
    close: () => bare.close(),
  };
}
