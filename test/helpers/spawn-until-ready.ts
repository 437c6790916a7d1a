import { spawn, type ChildProcess, type SpawnOptions } from "node:child_process";

/** A child process that printed its ready line. */
export interface ReadyProcess {
  child: ChildProcess;
  /** The first group of the ready line's match (the whole match without one), e.g. the URL of `listening on URL`. */
  ready: string;
  /** Everything printed on stdout and stderr so far (it keeps growing). */
  output(): string;
  /** The exit code, or the signal's name, once the process ended. */
  exited: Promise<number | string>;
}

export interface SpawnUntilReadyOptions extends Pick<SpawnOptions, "cwd" | "env" | "detached"> {
  /** What the process prints on stdout once it serves. @default /listening on (http:\/\/\S+)/ */
  ready?: RegExp;
  /** @default 60000 */
  timeoutMs?: number;
  /** Names the process in errors. @default the command and its arguments */
  name?: string;
  /** Called at once with the child, for a caller that must be able to end it before it is ready. */
  onSpawn?: (child: ChildProcess) => void;
  /** Passes stderr through to this process's (a bench shows a server's log as it runs) instead of collecting it. */
  inheritStderr?: boolean;
}

/**
 * Spawns a process (stdin ignored, stdout and stderr collected) and resolves once its stdout
 * shows `ready`; rejects, with what it printed, if it exits first or is not ready in time.
 * The caller stops it (by pid, or by process group when `detached`).
 *
 * @example
 * const { child, ready: url } = await spawnUntilReady(process.execPath, [bin, "serve", "--port", "0"], { cwd });
 */
export function spawnUntilReady(command: string, args: string[], options: SpawnUntilReadyOptions = {}): Promise<ReadyProcess> {
  const { ready = /listening on (http:\/\/\S+)/, timeoutMs = 60_000, name = [command, ...args].join(" "), onSpawn, inheritStderr, ...spawnOptions } = options;
  const child = spawn(command, args, { ...spawnOptions, stdio: ["ignore", "pipe", inheritStderr ? "inherit" : "pipe"] });
  onSpawn?.(child);
  let out = "";
  child.stderr?.on("data", (chunk: Buffer) => (out += chunk.toString()));
  const exited = new Promise<number | string>((resolve) => child.once("exit", (code, signal) => resolve(code ?? signal ?? -1)));
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`${name} was not ready in ${timeoutMs / 1000} s:\n${out}`)), timeoutMs);
    child.stdout!.on("data", (chunk: Buffer) => {
      out += chunk.toString();
      const match = ready.exec(out);
      if (!match) return;
      clearTimeout(timer);
      resolve({ child, ready: match[1] ?? match[0], output: () => out, exited });
    });
    void exited.then((code) => {
      clearTimeout(timer);
      reject(new Error(`${name} exited with ${code}:\n${out}`));
    });
  });
}
