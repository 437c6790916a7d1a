import { spawn } from "node:child_process";
import { join } from "node:path";
import { repoRoot } from "./reference-server-process.ts";

/** A CLI run in a pseudo-terminal: its output so far, Ctrl-C, and its end. */
export interface PtyRun {
  output(): string;
  /** Resolves once the output matches. */
  waitFor(pattern: RegExp, timeoutMs?: number): Promise<RegExpMatchArray>;
  /** Types Ctrl-C: the terminal sends SIGINT to its foreground process group, as a keyboard does. */
  ctrlC(): void;
  exited: Promise<number | null>;
}

/**
 * Runs `bin/async-jobs.js` in a pseudo-terminal through util-linux `script`, so stdout and
 * stderr are TTYs (bars drawn, cursor hidden) exactly as at a keyboard.
 *
 * @example
 * const run = runInPty(["wait", id], env); await run.waitFor(/█/); run.ctrlC();
 */
export function runInPty(args: string[], env: Record<string, string>): PtyRun {
  const quoted = [process.execPath, join(repoRoot, "bin/async-jobs.js"), ...args].map((a) => `'${a.replace(/'/g, "'\\''")}'`).join(" ");
  // -e: script exits with the command's code; -f flushes each write; the log file is not needed.
  const child = spawn("script", ["-q", "-e", "-f", "-c", quoted, "/dev/null"], {
    cwd: repoRoot,
    env: { PATH: process.env.PATH ?? "", HOME: process.env.HOME ?? "", TERM: "xterm", ...env },
    stdio: ["pipe", "pipe", "pipe"],
  });
  let out = "";
  child.stdout.on("data", (d: Buffer) => (out += d.toString()));
  child.stderr.on("data", (d: Buffer) => (out += d.toString()));
  const exited = new Promise<number | null>((resolve) => child.on("close", (code) => resolve(code)));
  return {
    output: () => out,
    async waitFor(pattern, timeoutMs = 30_000) {
      const deadline = Date.now() + timeoutMs;
      for (;;) {
        const match = out.match(pattern);
        if (match) return match;
        if (Date.now() > deadline || child.exitCode !== null) throw new Error(`no ${pattern} in the terminal output:\n${JSON.stringify(out)}`);
        await new Promise((r) => setTimeout(r, 50));
      }
    },
    ctrlC: () => child.stdin.write("\u0003"),
    exited,
  };
}
