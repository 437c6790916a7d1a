import { type ChildProcess, spawn } from "node:child_process";
import { fileURLToPath } from "node:url";

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
export function startCli(args: string[], ready: RegExp, env: NodeJS.ProcessEnv = {}): Promise<CliProcess> {
  const child = spawn(process.execPath, ["--conditions=async-jobs-source", "--import", "tsx", "src/cli.ts", ...args], {
    cwd: serverDir,
    stdio: ["ignore", "pipe", "pipe"],
    detached: true,
    env: { ...process.env, ...env },
  });
  running.add(child);
  let text = "";
  const exited = new Promise<number | string>((resolve) =>
    child.on("exit", (code, signal) => {
      running.delete(child);
      resolve(code ?? signal ?? -1);
    }),
  );
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`not ready: ${args.join(" ")}\n${text}`)), 60_000);
    child.stderr!.on("data", (chunk: Buffer) => (text += chunk.toString()));
    child.stdout!.on("data", (chunk: Buffer) => {
      text += chunk.toString();
      const match = ready.exec(text);
      if (!match) return;
      clearTimeout(timer);
      resolve({
        child,
        ready: match[1] ?? match[0],
        output: () => text,
        exited,
        signal: (signal) => {
          if (child.exitCode === null && child.signalCode === null) process.kill(-child.pid!, signal);
        },
      });
    });
    void exited.then((code) => {
      clearTimeout(timer);
      reject(new Error(`exited with ${code}: ${args.join(" ")}\n${text}`));
    });
  });
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
