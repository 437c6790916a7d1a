import { type ChildProcess, spawn } from "node:child_process";

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
  const child: ChildProcess = spawn(process.execPath, [bin, ...args], { cwd, stdio: ["ignore", "pipe", "pipe"], detached: true });
  let out = "";
  child.stdout!.on("data", (c: Buffer) => (out += c.toString()));
  child.stderr!.on("data", (c: Buffer) => (out += c.toString()));
  const url = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`server did not start in 60 s:\n${out}`)), 60_000);
    const check = () => {
      const m = ready.exec(out);
      if (m) {
        clearTimeout(timer);
        resolve(m[1]!);
      }
    };
    child.stdout!.on("data", check);
    child.once("exit", (code) => {
      clearTimeout(timer);
      reject(new Error(`server exited with ${code}:\n${out}`));
    });
  });
  return {
    url,
    output: () => out,
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
