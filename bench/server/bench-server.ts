import { spawn } from "node:child_process";
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { cpuSecondsOf } from "../support/cli-processes.ts";
import { useSourceConditions } from "./source-conditions.ts";

/** Bearer token of every bench server (tenant `bench`). */
export const TOKEN = "bench_token";
export const TENANT = "bench";
export const JSON_AUTH = { authorization: `Bearer ${TOKEN}`, "content-type": "application/json" };

/**
 * Starts a reference server in this process on `store` (`sqlite:<path>` or `postgres://…`),
 * on a free loopback port, with the CLI's `args` added.
 *
 * @example
 * const server = await startBenchServer("sqlite:/tmp/x/jobs.db", "/tmp/x", ["--no-worker"]);
 */
export async function startBenchServer(store: string, dir: string, args: string[] = []) {
  useSourceConditions();
  const { loadConfig } = await import("../../reference-server/src/config.ts");
  const { startServer } = await import("../../reference-server/src/server.ts");
  const base = ["--port", "0", "--host", "127.0.0.1", "--store", store, "--blob-dir", join(dir, "blobs"), "--tokens", `${TOKEN}:${TENANT}`];
  return startServer(loadConfig(["serve", ...base, ...args]));
}

/** Submits one job (no key) and returns its id. */
export async function submitOne(url: string, input: unknown = {}): Promise<string> {
  const response = await fetch(`${url}/v1/jobs`, { method: "POST", headers: JSON_AUTH, body: JSON.stringify({ type: "conformance.echo", input }) });
  if (response.status !== 202) throw new Error(`submit answered ${response.status}: ${await response.text()}`);
  return ((await response.json()) as { id: string }).id;
}

/** A reference server in a process of its own, as deployed (from dist/): its RSS and CPU are its own. */
export interface ServerProcess {
  url: string;
  /** Resident memory now, bytes (/proc/PID/status VmRSS). */
  rss(): number;
  /** CPU seconds used so far, all threads, user + system (/proc/PID/stat). */
  cpuSeconds(): number;
  close(): Promise<void>;
}

// The built CLI, what the installed bin runs (the repository's bin would run the sources
// through tsx, whose transpiler and loader thread are no part of a deployed server's memory).
// BENCH_SERVER_DIST=DIR runs another build (e.g. a copy of dist/ built from older code).
export const BUILT_CLI = process.env.BENCH_SERVER_DIST
  ? join(process.env.BENCH_SERVER_DIST, "cli.js")
  : fileURLToPath(new URL("../../reference-server/dist/cli.js", import.meta.url));

/** Throws, saying how to build it, when {@link BUILT_CLI} is missing. */
export function assertBuiltCli(): void {
  if (!existsSync(BUILT_CLI)) throw new Error(`${BUILT_CLI} is missing: build the server first (npm run prepare)`);
}

/**
 * Starts the built `async-jobs-server serve` (`npm run prepare` builds it) on `store` in its own
 * process (Linux: figures from /proc). BENCH_CPU_PROF=DIR runs it with `node --cpu-prof`;
 * BENCH_SERVER_DIST=DIR runs the build in DIR instead.
 *
 * @example
 * const server = await startServerProcess("sqlite:/tmp/x/jobs.db", "/tmp/x", ["--no-worker"]);
 */
export async function startServerProcess(store: string, dir: string, args: string[] = []): Promise<ServerProcess> {
  assertBuiltCli();
  const base = ["serve", "--port", "0", "--host", "127.0.0.1", "--store", store, "--blob-dir", join(dir, "blobs"), "--tokens", `${TOKEN}:${TENANT}`];
  const profile = process.env.BENCH_CPU_PROF ? ["--cpu-prof", `--cpu-prof-dir=${process.env.BENCH_CPU_PROF}`] : [];
  const child = spawn(process.execPath, [...profile, BUILT_CLI, ...base, ...args], { stdio: ["ignore", "pipe", "inherit"] });
  const exited = new Promise<void>((resolve) => child.once("exit", () => resolve()));
  const url = await new Promise<string>((resolve, reject) => {
    let out = "";
    child.stdout.on("data", (chunk: Buffer) => {
      out += chunk.toString();
      const match = /listening on (http:\/\/\S+)/.exec(out);
      if (match) resolve(match[1]!);
    });
    child.once("exit", (code) => reject(new Error(`the server exited (${code}) before listening: ${out}`)));
  });
  const pid = child.pid!;
  return {
    url,
    rss: () => Number(/VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, "utf8"))?.[1] ?? 0) * 1024,
    cpuSeconds: () => cpuSecondsOf(pid),
    async close() {
      child.kill("SIGINT");
      await exited;
    },
  };
}
