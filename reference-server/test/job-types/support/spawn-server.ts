import { spawnUntilReady } from "../../../../test/helpers/spawn-until-ready.ts";

/** A server process started by its bin, in its own process group. */
export interface SpawnedServer {
  readonly url: string;
  readonly output: () => string;
  stop(): Promise<void>;
}

/**
 * Runs `bin args…` (a node script) in `cwd`, waits for `ready` (`listening on URL`), and ends the whole
 * process group on `stop`.
 *
 * @example
 * const server = await spawnServer(BIN, ["serve", "--port", "0"], dir);
 */
export async function spawnServer(
  bin: string,
  args: string[],
  cwd: string,
  /** What the process prints once ready; its first group is `url`. */
  ready: RegExp = /listening on (http:\/\/\S+)/,
): Promise<SpawnedServer> {
  const { child, ready: url, output } = await spawnUntilReady(process.execPath, [bin, ...args], { cwd, detached: true, ready, name: `server ${args[0]}` });
  return {
    url,
    output,
    async stop() {
      if (child.exitCode !== null || child.signalCode !== null) return;
      const exited = new Promise((r) => child.once("exit", r));
      process.kill(-child.pid!, "SIGTERM");
      const timer = setTimeout(() => process.kill(-child.pid!, "SIGKILL"), 5_000);
      await exited;
      clearTimeout(timer);
    },
  };
}
