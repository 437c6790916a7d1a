import { fork } from "node:child_process";
import { fileURLToPath } from "node:url";
import type { CannonFigures, CannonRequest, LoadRequest, WakeFigures, WakeRequest } from "./load-messages.ts";

/** The load generator: one child process that runs one request of the parent's at a time. */
export interface LoadGenerator {
  /**
   * An autocannon run (`connections` and `duration` of the bench unless `options` say otherwise),
   * with the CPU time this process spent meanwhile (the bare fastify lives here), per request answered.
   */
  cannon(options: Record<string, unknown>, idempotencyKeys?: boolean): Promise<CannonFigures & { perCpuS: number }>;
  /** Held long polls woken one by one (see {@link WakeRequest}). */
  wake(request: Omit<WakeRequest, "kind">): Promise<WakeFigures>;
  stop(): void;
}

/**
 * Starts the load generator's process. It runs apart from the server's, for the server and the
 * bare fastify alike, so both share the machine's cores with it the same way.
 *
 * @example
 * const load = startLoadGenerator({ connections: 32, durationS: 5 });
 * const { rps } = await load.cannon({ url });
 */
export function startLoadGenerator(defaults: { connections: number; durationS: number }): LoadGenerator {
  const child = fork(fileURLToPath(new URL("./load-child.ts", import.meta.url)), [], { stdio: "inherit" });
  let queue = Promise.resolve();
  let answer: ((figures: unknown) => void) | undefined;
  let fail: ((error: Error) => void) | undefined;
  child.on("message", (figures) => answer?.(figures));
  child.on("error", (error) => fail?.(error));
  function ask<T>(request: LoadRequest): Promise<T> {
    const asked = queue.then(
      () =>
        new Promise<T>((resolve, reject) => {
          answer = resolve as (figures: unknown) => void;
          fail = reject;
          child.send(request);
        }),
    );
    queue = asked.then(() => undefined, () => undefined);
    return asked;
  }
  return {
    async cannon(options, idempotencyKeys = false) {
      const request: CannonRequest = { kind: "cannon", options: { connections: defaults.connections, duration: defaults.durationS, ...options }, idempotencyKeys };
      const before = process.cpuUsage();
      const figures = await ask<CannonFigures>(request);
      const cpu = process.cpuUsage(before);
      // Requests per second of this process's CPU (user + system): what a quiet core would answer.
      return { ...figures, perCpuS: figures.total / ((cpu.user + cpu.system) / 1e6) };
    },
    wake: (request) => ask<WakeFigures>({ kind: "wake", ...request }),
    stop: () => child.kill(),
  };
}
