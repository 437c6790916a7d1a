// Bench: the cost of `--metrics` (prom-client counters on every request and store write).
// The reference server on SQLite, worker off, measured with metrics off and on, alternating
// (off, on, off, on) so that the shared machine's drift falls on both alike:
//
//   npx tsx bench/metrics.ts [--duration 5] [--connections 32] [--rounds 2]
//
// Figures: submits/s (no Idempotency-Key) and status reads/s of one job, and the server's CPU time
// per request (this process's user+system time over the run / requests served: steadier than
// throughput on a loaded machine), with on/off ratios.
// Each round uses a fresh database so submits do not slow down as the table grows. The load
// generator (autocannon) runs in a child process, as in bench/server.ts.
import { fork } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { register as registerHooks } from "node:module";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";
// @ts-expect-error autocannon ships no type declarations
import autocannonUntyped from "autocannon";

type CannonResult = { requests: { average: number }; non2xx: number };
const autocannon = autocannonUntyped as (options: Record<string, unknown>) => Promise<CannonResult>;

if (process.argv.includes("--cannon-child")) {
  process.on("message", async (options: Record<string, unknown>) => {
    const result = await autocannon(options);
    process.send!({ rps: result.requests.average, non2xx: result.non2xx });
  });
} else {
  await main();
}

async function main() {
  // The server imports the SDK: resolve it to its sources, so no build is needed (as bench/server.ts).
  registerHooks(
    `data:text/javascript,${encodeURIComponent(`export async function resolve(s, c, next) {
      return next(s, { ...c, conditions: c.conditions.includes("async-jobs-source") ? c.conditions : ["async-jobs-source", ...c.conditions] });
    }`)}`,
  );
  const { loadConfig } = await import("../reference-server/src/config.ts");
  const { startServer } = await import("../reference-server/src/server.ts");
  const { values } = parseArgs({
    options: { duration: { type: "string", default: "5" }, connections: { type: "string", default: "32" }, rounds: { type: "string", default: "2" } },
  });
  const TOKEN = "bench_token";
  const auth = { authorization: `Bearer ${TOKEN}`, "content-type": "application/json" };
  const child = fork(fileURLToPath(import.meta.url), ["--cannon-child"], { stdio: "inherit" });
  const duration = Number(values.duration);
  /** One autocannon run; `cpuUs` is this process's (the server's) CPU time per request served. */
  const cannon = async (options: Record<string, unknown>) => {
    const cpu = process.cpuUsage();
    const figures = await new Promise<{ rps: number; non2xx: number }>((resolve) => {
      child.once("message", (f) => resolve(f as { rps: number; non2xx: number }));
      child.send({ connections: Number(values.connections), duration, ...options });
    });
    const used = process.cpuUsage(cpu);
    return { ...figures, cpuUs: (used.user + used.system) / (figures.rps * duration) };
  };

  const series = () => ({ submits: [] as number[], reads: [] as number[], submitCpu: [] as number[], readCpu: [] as number[] });
  const figures = { off: series(), on: series() };
  for (let round = 0; round < Number(values.rounds); round++) {
    for (const mode of ["off", "on"] as const) {
      const dir = mkdtempSync(join(tmpdir(), "async-jobs-bench-metrics-"));
      const args = ["serve", "--port", "0", "--store", `sqlite:${join(dir, "jobs.db")}`, "--blob-dir", join(dir, "blobs"), "--tokens", `${TOKEN}:bench`, "--no-worker"];
      const api = await startServer(loadConfig(mode === "on" ? [...args, "--metrics"] : args));
      try {
        const submits = await cannon({ url: `${api.url}/v1/jobs`, method: "POST", headers: auth, body: '{"type":"conformance.echo","input":{"value":1}}' });
        const one = (await (await fetch(`${api.url}/v1/jobs`, { method: "POST", headers: auth, body: '{"type":"conformance.echo","input":{}}' })).json()) as { id: string };
        const reads = await cannon({ url: `${api.url}/v1/jobs/${one.id}`, headers: auth });
        if (submits.non2xx > 0 || reads.non2xx > 0) console.error(`round ${round + 1}, metrics ${mode}: non-2xx ${submits.non2xx} submits, ${reads.non2xx} reads`);
        figures[mode].submits.push(submits.rps);
        figures[mode].reads.push(reads.rps);
        figures[mode].submitCpu.push(submits.cpuUs);
        figures[mode].readCpu.push(reads.cpuUs);
        console.error(
          `… round ${round + 1}, metrics ${mode}: ${Math.round(submits.rps)} submits/s (${Math.round(submits.cpuUs)} µs CPU each), ${Math.round(reads.rps)} reads/s (${Math.round(reads.cpuUs)} µs CPU each)`,
        );
      } finally {
        await api.close();
        rmSync(dir, { recursive: true, force: true });
      }
    }
  }
  child.kill();
  const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;
  const fmt = (n: number) => Math.round(n).toLocaleString("en-US");
  console.log(`| figure | --metrics off | --metrics on | on / off |\n| --- | --- | --- | --- |`);
  for (const [name, key] of [["submits/s", "submits"], ["status reads/s", "reads"], ["server CPU µs per submit", "submitCpu"], ["server CPU µs per read", "readCpu"]] as const) {
    const off = mean(figures.off[key]);
    const on = mean(figures.on[key]);
    console.log(`| ${name} | ${fmt(off)} | ${fmt(on)} | ${(on / off).toFixed(2)} |`);
  }
}
