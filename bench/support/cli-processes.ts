// The reference server's CLI (`serve`, `worker`) as child processes of a bench, from its sources.
// BENCH_CPU_PROF=DIR starts them with `node --cpu-prof` (profiles written to DIR on exit).
import type { ChildProcess } from "node:child_process";
import { readdirSync, readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { spawnUntilReady } from "../../test/helpers/spawn-until-ready.ts";

const root = fileURLToPath(new URL("../../", import.meta.url));

/**
 * Starts CLI processes and stops them all (SIGTERM, so a profile is written; SIGKILL after 10 s).
 *
 * @example
 * const cli = createCliProcesses();
 * const { match: url } = await cli.start(["serve", "--port", "0", "--store", db], /listening on (\S+)/);
 * await cli.stopAll();
 */
export function createCliProcesses(options: { root?: string } = {}) {
  const children: ChildProcess[] = [];
  return {
    /**
     * Resolves with the first capture group of `ready` (or the whole match) in the child's stdout,
     * and its pid. `profileDir` (default BENCH_CPU_PROF) runs the child with `--cpu-prof`.
     */
    start(args: string[], ready: RegExp, { profileDir = process.env.BENCH_CPU_PROF }: { profileDir?: string } = {}): Promise<{ match: string; pid: number }> {
      const nodeArgs = profileDir ? ["--cpu-prof", `--cpu-prof-dir=${profileDir}`] : [];
      return spawnUntilReady(process.execPath, [...nodeArgs, "--conditions=async-jobs-source", "--import", "tsx", "reference-server/src/cli.ts", ...args], {
        cwd: options.root ?? root,
        ready,
        name: args[0],
        inheritStderr: true,
        onSpawn: (child) => children.push(child),
      }).then(({ ready: match, child }) => ({ match, pid: child.pid! }));
    },
    stopAll(): Promise<void> {
      return Promise.all(
        children.splice(0).map(
          (child) =>
            new Promise<void>((resolve) => {
              if (child.exitCode !== null || child.signalCode !== null) return resolve();
              const timer = setTimeout(() => child.kill("SIGKILL"), 10_000);
              child.once("exit", () => {
                clearTimeout(timer);
                resolve();
              });
              child.kill("SIGTERM");
            }),
        ),
      ).then(() => {});
    },
  };
}

/** CPU seconds (user + system, every thread) a process has used so far; Linux `/proc`. */
export function cpuSecondsOf(pid: number): number {
  return cpuTicks(statFields(pid)) / CLOCK_TICKS_PER_S;
}

/**
 * CPU seconds of a process and its children alive now (a Postgres postmaster and its backends),
 * plus what its ended children used; Linux `/proc`.
 */
export function treeCpuSecondsOf(pid: number): number {
  const own = statFields(pid);
  // cutime and cstime: the children that ended (and were waited for).
  let ticks = cpuTicks(own) + Number(own[13]) + Number(own[14]);
  for (const entry of readdirSync("/proc")) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const fields = statFields(Number(entry));
      if (Number(fields[1]) === pid) ticks += cpuTicks(fields);
    } catch {
      // gone meanwhile
    }
  }
  return ticks / CLOCK_TICKS_PER_S;
}

/** The fields of /proc/PID/stat after the command name (which may hold spaces): state is [0]. */
function statFields(pid: number): string[] {
  const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
  return stat.slice(stat.lastIndexOf(")") + 2).split(" ");
}

/** utime + stime. */
const cpuTicks = (fields: string[]) => Number(fields[11]) + Number(fields[12]);

// USER_HZ: 100 on every Linux ABI Node runs on.
const CLOCK_TICKS_PER_S = 100;
