// Bench: what the SQLite job store's writes cost the event loop's thread (issue 14), in process,
// without HTTP, so the figure does not depend on the HTTP stack or the load generator.
//
//   npx tsx bench/sqlite-writer.ts [--seconds 5] [--callers 32] [--jobs 4000]
//
// Durable submits: `callers` loops each awaiting createJob (own Idempotency-Key, resolved only
// after the commit) for `seconds`. Claim + complete: `jobs` queued jobs claimed 64 at a time and
// completed one by one, as the worker does. For each: operations/s and the event loop's busy
// time per operation (performance.eventLoopUtilization: what a write takes from the thread
// that serves HTTP), the share of the wall time the event loop was busy, and the process's CPU
// per operation (all threads: the writer thread's too). The floor: the writer thread's own keyed
// createJob (key lookup, insert, key upsert) in a plain loop on this thread, 16 jobs per
// `BEGIN IMMEDIATE … COMMIT` with the store's pragmas (WAL, synchronous=FULL): what any submit
// that keeps its job and key in SQLite costs, before HTTP, hand-offs and answers.
import { mkdtempSync, rmSync } from "node:fs";
import { register as registerHooks } from "node:module";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { performance } from "node:perf_hooks";
import { parseArgs } from "node:util";

// The store imports the SDK: resolve it to its sources, as the CLI does (no build needed).
registerHooks(
  `data:text/javascript,${encodeURIComponent(`export async function resolve(s, c, next) {
    return next(s, { ...c, conditions: c.conditions.includes("async-jobs-source") ? c.conditions : ["async-jobs-source", ...c.conditions] });
  }`)}`,
);
const { openSqliteJobStore } = await import("../reference-server/src/store/sqlite/sqlite-job-store.ts");
const { openSqliteDatabase } = await import("../reference-server/src/store/sqlite/open-sqlite-database.ts");
const { migrateSqliteDatabase } = await import("../reference-server/src/store/sqlite/schema.ts");
const { prepareJobStatements } = await import("../reference-server/src/store/sqlite/job-statements.ts");
const { createWriteCommands } = await import("../reference-server/src/store/sqlite/write-commands.ts");
const { encodeNewJob } = await import("../reference-server/src/store/job-row.ts");
const { newId } = await import("../reference-server/src/new-id.ts");

const { values } = parseArgs({
  options: { seconds: { type: "string", default: "5" }, callers: { type: "string", default: "32" }, jobs: { type: "string", default: "4000" } },
});
const seconds = Number(values.seconds);
const callers = Number(values.callers);
const jobs = Number(values.jobs);

const dir = mkdtempSync(join(tmpdir(), "async-jobs-bench-writer-"));
const store = await openSqliteJobStore({ path: join(dir, "submits.db") });
const cycleStore = await openSqliteJobStore({ path: join(dir, "cycle.db") });
const command = { tenant: "bench", type: "conformance.echo", input: { value: 1 }, metadata: {}, maxAttempts: 3, webhookUrl: null };

/** Runs `work`, returning ops/s, event-loop busy µs per op, the loop's utilisation and the process's CPU µs per op (user, system). */
async function measure(work: () => Promise<number>) {
  const elu0 = performance.eventLoopUtilization();
  const cpu0 = process.cpuUsage();
  const t0 = performance.now();
  const ops = await work();
  const wall = performance.now() - t0;
  const elu = performance.eventLoopUtilization(elu0);
  const cpu = process.cpuUsage(cpu0);
  return { perS: ops / (wall / 1000), busyUsPerOp: (elu.active * 1000) / ops, utilization: elu.utilization, userUs: cpu.user / ops, systemUs: cpu.system / ops };
}

try {
  let key = 0;
  const submits = await measure(async () => {
    const until = performance.now() + seconds * 1000;
    let done = 0;
    await Promise.all(
      Array.from({ length: callers }, async () => {
        while (performance.now() < until) {
          await store.createJob({ ...command, idempotency: { key: `k-${key++}`, fingerprint: "f", ttlMs: 86_400_000 } });
          done++;
        }
      }),
    );
    return done;
  });

  const cycle = await measure(async () => {
    await Promise.all(Array.from({ length: jobs }, () => cycleStore.createJob(command)));
    let finished = 0;
    for (;;) {
      const claimed = await cycleStore.claimJobs({ workerId: "bench", limit: 64, leaseMs: 30_000 });
      if (claimed.length === 0) break;
      await Promise.all(claimed.map((job) => cycleStore.completeJob({ id: job.id, leaseToken: job.leaseToken! }, { echoed: job.input })));
      finished += claimed.length;
    }
    return finished;
  });

  // The writer thread's own createJob command, called in a plain loop on this thread.
  const floorDb = openSqliteDatabase(join(dir, "floor.db"));
  migrateSqliteDatabase(floorDb, Date.now());
  const commands = createWriteCommands({
    q: prepareJobStatements(floorDb),
    isolated: (work) => ({ ok: true, value: work() }),
    webhookFirstDelayMs: 0,
    maxRunningPerTenant: Infinity,
    log: () => {},
  });
  const commitKeyed = floorDb.transaction((at: number) => {
    for (let i = 0; i < 16; i++) {
      const idempotency = { key: `k-${key++}`, fingerprint: "f", expiresAt: at + 86_400_000 };
      commands.createJob({ row: encodeNewJob(command, newId("job", at), at), idempotency }, () => {});
    }
  });
  const floor = await measure(async () => {
    const until = performance.now() + seconds * 1000;
    let done = 0;
    while (performance.now() < until) {
      commitKeyed.immediate(Date.now());
      done += 16;
    }
    return done;
  });
  floorDb.close();

  const fmt = (n: number) => Math.round(n).toLocaleString("en-US");
  const row = (name: string, m: Awaited<ReturnType<typeof measure>>) =>
    console.log(`${name.padEnd(48)} ${fmt(m.perS).padStart(7)}  ${m.busyUsPerOp.toFixed(0).padStart(21)}  ${m.utilization.toFixed(2).padStart(16)}  ${`${m.userUs.toFixed(0)} / ${m.systemUs.toFixed(0)}`.padStart(21)}`);
  console.log(`${"figure (SQLite store, in process)".padEnd(48)}   ops/s  event-loop busy µs/op  loop utilisation  process CPU µs/op usr/sys`);
  row(`durable submits (${callers} callers, key each)`, submits);
  row(`submit + claim + complete (${jobs} jobs)`, cycle);
  row("floor: the keyed createJob command, 16/commit", floor);
  console.log(`(${seconds} s of submits, Node ${process.version})`);
} finally {
  await store.close();
  await cycleStore.close();
  rmSync(dir, { recursive: true, force: true });
}
