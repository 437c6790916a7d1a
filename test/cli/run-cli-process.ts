import { spawn } from "node:child_process";
import { join } from "node:path";
import { repoRoot } from "./reference-server-process.ts";

/** What a CLI run produced. */
export interface CliRun {
  code: number | null;
  stdout: string;
  stderr: string;
}

/**
 * Runs `bin/async-jobs.js` as a real child process (the way a shell would), with stdin and env.
 *
 * @example
 * const { code, stdout } = await runCliProcess(["get", id, "--json"], { env: { ASYNC_JOBS_BASE_URL: url } });
 */
export function runCliProcess(args: string[], options: { env?: Record<string, string>; input?: string | Uint8Array; cwd?: string } = {}): Promise<CliRun> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [join(repoRoot, "bin/async-jobs.js"), ...args], {
      cwd: options.cwd ?? repoRoot,
      // A clean environment: only what the test gives, so a developer's ASYNC_JOBS_* never leaks in.
      env: { PATH: process.env.PATH ?? "", HOME: process.env.HOME ?? "", ...options.env },
      stdio: ["pipe", "pipe", "pipe"],
    });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (c: Buffer) => (stdout += c.toString()));
    child.stderr.on("data", (c: Buffer) => (stderr += c.toString()));
    child.on("error", reject);
    child.on("close", (code) => resolve({ code, stdout, stderr }));
    child.stdin.end(options.input ?? "");
  });
}
