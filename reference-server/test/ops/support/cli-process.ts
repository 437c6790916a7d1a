import type { ChildProcess } from "node:child_process";
import { fileURLToPath } from "node:url";
import { spawnUntilReady } from "../../../../test/helpers/spawn-until-ready.ts";

const serverDir = fileURLToPath(new URL("../../..", import.meta.url));

/** One `async-jobs-server` process in its own process group (so tsx's children end with it). */
export interface CliProcess {
  readonly child: ChildProcess;
  /** The `(\S+)` group of the ready line (e.g. the URL of "listening on URL"). */
  readonly ready: string;
  /** Everything printed on stdout and stderr so far. */
  output(): string;
  /** Resolves with the exit code (or signal name) once the process ended. */
  readonly exited: Promise<number | string>;
  /** Sends a signal to the whole group. */
  signal(signal: NodeJS.Signals): void;
}

/**
 * Starts the server CLI from its TypeScript source; resolves once a stdout line matches `ready`.
 *
 * @example
 * const api = await startCli(["serve", "--port", "0", "--store", url], /listening on (\S+)/);
 */
export async function startCli(args: string[], ready: RegExp, env: NodeJS.ProcessEnv = {}): Promise<CliProcess> {
  const started = await spawnUntilReady(process.execPath, ["--conditions=async-jobs-source", "--import", "tsx", "src/cli.ts", ...args], {
    cwd: serverDir,
    detached: true,
    env: { ...process.env, ...env },
    ready,
    name: args.join(" "),
    onSpawn(child) {
      running.add(child);
      child.once("exit", () => running.delete(child));
    },
  });
  const { child } = started;
  return {
    ...started,
    signal: (signal) => {
      if (child.exitCode === null && child.signalCode === null) process.kill(-child.pid!, signal);
    },
  };
}

const running = new Set<ChildProcess>();

/** Kills every process group this module started that is still running (afterAll/afterEach). */
export function killAllCli(): void {
  for (const child of running) {
    try {
      process.kill(-child.pid!, "SIGKILL");
    } catch {
      // already gone
    }
  }
  running.clear();
}
