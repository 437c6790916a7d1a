import { randomUUID } from "node:crypto";
import { createProblem } from "async-jobs/protocol";
import type { Problem } from "async-jobs/types";
import { JobFailure, type JobTypeRegistry, type JobUploads } from "../job-types/index.ts";
import type { JobStore, Lease, StoredJob } from "../store/job-store.ts";
import { retryDelayMs } from "./backoff.ts";
import { createInFlight } from "../in-flight.ts";
import { createRerunLoop } from "../rerun-loop.ts";
import { createTypeSlots } from "./type-slots.ts";
import { defaultServerConfig } from "../config.ts";
import { contextOfTrace } from "../tracing/trace-context.ts";
import { inSpan, recordSpan } from "../tracing/tracer.ts";
import { createLifecycleWebhooks } from "../webhooks/lifecycle-events.ts";

export interface WorkerOptions {
  store: JobStore;
  registry: JobTypeRegistry;
  /** Jobs run at once. @default defaultServerConfig.workerConcurrency */
  concurrency?: number;
  /** A lease not renewed for this long is lost and the job goes back to the queue. @default defaultServerConfig.leaseTimeoutMs */
  leaseTimeoutMs?: number;
  /** Idle poll of the queue (changes in this process wake it at once). @default 200 */
  pollMs?: number;
  /** First retry delay after a retryable failure; doubles per attempt. @default defaultServerConfig.retryBaseMs */
  retryBaseMs?: number;
  /** @default 300000 */
  retryMaxMs?: number;
  log?: (message: string, error?: unknown) => void;
  /** A tenant's uploads as a job reads them. @default none (every open answers undefined) */
  uploadsFor?: (tenant: string) => JobUploads;
  /** Least gap between two `job.progress` webhooks of one job (spec §3.1.1). @default defaultProgressEventIntervalMs */
  progressEventIntervalMs?: number;
}

/** A running worker; `stop` drains it. */
export interface Worker {
  readonly id: string;
  /** Stops leasing, lets running jobs finish within `graceMs`, then gives the rest back to the queue. */
  stop(graceMs?: number): Promise<void>;
}

interface Active {
  job: StoredJob;
  lease: Lease;
  controller: AbortController;
  done: Promise<void>;
  /** Fires when the lease may have expired without a renewal seen here (`performance.now()` based). */
  leaseTimer?: NodeJS.Timeout;
}

type AbortReason = "canceled" | "lease_lost" | "drain" | "timeout";

/** How long a drain waits for a last heartbeat or recovery in flight before the store closes. */
const SETTLE_AFTER_DRAIN_MS = 2_000;

/**
 * Leases jobs and runs them (spec §2 "Execution"): heartbeats every third of the lease,
 * recovers other workers' lost leases, aborts a job's signal on cancel or lost lease, retries
 * retryable failures with exponential backoff, and drains on `stop`.
 *
 * @example
 * const worker = startWorker({ store, registry, concurrency: 8 });
 * process.on("SIGTERM", () => worker.stop(10_000));
 */
export function startWorker(options: WorkerOptions): Worker {
  const { store, registry } = options;
  const lifecycle = createLifecycleWebhooks({ store, progressIntervalMs: options.progressEventIntervalMs, log: options.log });
  const id = `wrk_${randomUUID()}`;
  const concurrency = options.concurrency ?? defaultServerConfig.workerConcurrency;
  const leaseMs = options.leaseTimeoutMs ?? defaultServerConfig.leaseTimeoutMs;
  const log = options.log ?? (() => {});
  const active = new Map<string, Active>();
  const slots = createTypeSlots();
  let draining = false;
  // Claims, heartbeats and recoveries still running: stop() waits for them (issue 20).
  const calls = createInFlight();
  // While the store is unreachable the worker stops claiming and backs off (issue 20).
  let claimFailures = 0;
  let claimPausedUntil = 0;

  const tick = createRerunLoop(
    async () => {
      const free = concurrency - active.size;
      if (draining || free <= 0 || Date.now() < claimPausedUntil) return false;
      const asked = performance.now();
      const jobs = await store.claimJobs({ workerId: id, limit: free, leaseMs });
      claimFailures = 0;
      for (const job of jobs) run(job, asked);
      return jobs.length === free;
    },
    {
      stopped: () => draining,
      inFlight: calls,
      onError(error) {
        claimFailures++;
        claimPausedUntil = Date.now() + retryDelayMs(claimFailures, { baseMs: 250, maxMs: 5_000 });
        if (claimFailures === 1 || claimFailures % 10 === 0) log(`claim failed (${claimFailures} in a row; backing off)`, error);
      },
    },
  );

  /**
   * The lease was granted (or renewed) no earlier than `asked`, so it lasts at least until
   * `asked + leaseMs`. Past that without a renewal another worker may already run the job:
   * stop this run locally, even when the store cannot be reached to say so (issue 13, finding 10).
   */
  function holdLeaseUntil(entry: Active, asked: number) {
    clearTimeout(entry.leaseTimer);
    entry.leaseTimer = setTimeout(() => entry.controller.abort("lease_lost" satisfies AbortReason), asked + leaseMs - performance.now());
    entry.leaseTimer.unref();
  }

  function run(job: StoredJob, asked: number) {
    const lease: Lease = { id: job.id, leaseToken: job.leaseToken! };
    const controller = new AbortController();
    const entry = { job, lease, controller } as Active;
    let abandoned = false;
    active.set(job.id, entry);
    holdLeaseUntil(entry, asked);
    // The job's spans continue the trace it was submitted in (spec §8.6).
    const traced = contextOfTrace(job.trace);
    const attributes = { "async_jobs.job_id": job.id, "async_jobs.job_type": job.type, "async_jobs.attempt": job.attempt };
    recordSpan("async-jobs claim", traced, performance.timeOrigin + asked, attributes);
    entry.done = (async () => {
      const definition = registry.get(job.type);
      let release: (() => void) | undefined;
      let timer: NodeJS.Timeout | undefined;
      try {
        if (!definition) throw new JobFailure({ code: "unknown_job_type", detail: `This worker cannot run ${job.type}.`, status: 422 });
        await lifecycle.started(job, lease); // spec §3.1.1, when the job chose it
        // A job over its type's concurrency waits here, leased (and so cancelable), for a slot.
        release = await slots.acquire(job.type, definition.concurrency, controller.signal);
        if (definition.timeoutMs !== undefined) {
          timer = setTimeout(() => controller.abort("timeout" satisfies AbortReason), definition.timeoutMs);
        }
        const running = inSpan("async-jobs run", traced, () => definition.run({
          jobId: job.id,
          tenant: job.tenant,
          input: job.input,
          attempt: job.attempt,
          maxAttempts: job.maxAttempts,
          signal: controller.signal,
          uploads: options.uploadsFor?.(job.tenant) ?? { open: async () => undefined },
          reportProgress: async (percent, message) => {
            if (abandoned || controller.signal.aborted) return;
            if (await store.reportProgress(lease, percent, message ?? null)) lifecycle.progressed(job, lease);
          },
          abandon: () => {
            abandoned = true;
            clearTimeout(entry.leaseTimer);
            active.delete(job.id);
            void tick();
          },
          trace: job.trace,
        }), attributes);
        // A timed-out attempt is settled at once, even when its `run` ignores the signal.
        const result = await (definition.timeoutMs === undefined ? running : Promise.race([running, aborted(controller.signal, "timeout")]));
        if (abandoned) return;
        // Finishing first wins over a cancel request; a lost lease makes this a no-op.
        await store.completeJob(lease, result ?? null);
      } catch (error) {
        if (abandoned) return;
        await settleFailure(lease, job, controller.signal, error);
      } finally {
        clearTimeout(entry.leaseTimer);
        clearTimeout(timer);
        release?.();
        if (active.get(job.id) === entry) active.delete(job.id);
        if (!draining) void tick();
      }
    })().catch((error) => log(`job ${job.id} could not be settled`, error));
  }

  async function settleFailure(lease: Lease, job: StoredJob, signal: AbortSignal, error: unknown) {
    const reason = signal.aborted ? (signal.reason as AbortReason) : undefined;
    if (reason === "canceled") return void (await store.cancelRunningJob(lease));
    if (reason === "lease_lost") return;
    if (reason === "drain") return void (await store.releaseJob(lease));
    if (reason === "timeout") {
      const problem: Problem = {
        type: "https://async-jobs.dev/problems/timeout",
        title: "Attempt timed out",
        status: 500,
        detail: `Attempt ${job.attempt} ran past the job type's timeout.`,
        code: "timeout",
      };
      return void (await store.failJob(lease, problem, Date.now() + retryDelay(job.attempt)));
    }
    if (JobFailure.is(error)) {
      const retryAt = error.retryable ? Date.now() + retryDelay(job.attempt) : undefined;
      return void (await store.failJob(lease, error.toProblem(), retryAt));
    }
    // An unexpected throw is a fault of this attempt, not of the job: retry it.
    log(`job ${job.id} threw`, error);
    const problem = createProblem("internal", error instanceof Error ? error.message : String(error));
    await store.failJob(lease, problem, Date.now() + retryDelay(job.attempt));
  }

  const retryDelay = (attempt: number) =>
    retryDelayMs(attempt, { baseMs: options.retryBaseMs ?? defaultServerConfig.retryBaseMs, maxMs: options.retryMaxMs ?? 300_000 });

  async function heartbeat() {
    if (active.size === 0) return;
    const entries = [...active.values()];
    const end = calls.begin();
    const asked = performance.now();
    try {
      const results = await store.heartbeat(entries.map((e) => e.lease), leaseMs);
      for (const entry of entries) {
        const result = results.get(entry.job.id);
        if (result?.state === "lost") entry.controller.abort("lease_lost" satisfies AbortReason);
        else if (result?.cancelRequested) entry.controller.abort("canceled" satisfies AbortReason);
        if (result?.state === "held" && active.get(entry.job.id) === entry && !entry.controller.signal.aborted) holdLeaseUntil(entry, asked);
      }
    } catch (error) {
      log("heartbeat failed", error);
    } finally {
      end();
    }
  }

  async function recover() {
    const end = calls.begin();
    try {
      await store.recoverExpiredLeases();
    } catch (error) {
      log("lease recovery failed", error);
    } finally {
      end();
    }
  }

  // Cancellation in this process reaches the job at once; from other processes via the heartbeat.
  const unsubscribe = store.changes.onAny((change) => {
    if (change.kind === "job" && change.status === "cancel_requested" && active.has(change.jobId)) void heartbeat();
    if ((change.kind === "job" && change.status === "queued") || change.kind === "external") void tick();
  });
  const timers = [
    setInterval(() => void tick(), options.pollMs ?? 200),
    setInterval(() => void heartbeat(), Math.max(20, Math.floor(leaseMs / 3))),
    setInterval(() => void recover(), Math.min(5_000, Math.max(50, Math.floor(leaseMs / 4)))),
  ];
  // The poll timer keeps the process alive (a `worker` process has nothing else); stop() clears it.
  for (const timer of timers.slice(1)) timer.unref();
  void recover().then(tick);

  return {
    id,
    async stop(graceMs = 10_000) {
      if (draining) return;
      draining = true;
      unsubscribe();
      for (const timer of timers) clearInterval(timer);
      // A claim in flight now still hands over its jobs: they are running jobs of this drain
      // (within the grace: a store that never answers must not hold the drain).
      const graceEnds = Date.now() + graceMs;
      await calls.settled(graceMs);
      const running = [...active.values()];
      const heartbeats = setInterval(() => void heartbeat(), Math.max(20, Math.floor(leaseMs / 3)));
      let timer: NodeJS.Timeout | undefined;
      const grace = new Promise<void>((resolve) => (timer = setTimeout(resolve, Math.max(0, graceEnds - Date.now()))));
      await Promise.race([Promise.all(running.map((e) => e.done)), grace]);
      clearTimeout(timer);
      for (const entry of active.values()) entry.controller.abort("drain" satisfies AbortReason);
      await Promise.all(running.map((e) => e.done));
      clearInterval(heartbeats);
      await calls.settled(SETTLE_AFTER_DRAIN_MS);
    },
  };
}

/** Rejects once `signal` aborts with `reason` (never otherwise). */
function aborted(signal: AbortSignal, reason: AbortReason): Promise<never> {
  return new Promise((_, reject) => {
    const onAbort = () => signal.reason === reason && reject(signal.reason);
    if (signal.aborted) onAbort();
    else signal.addEventListener("abort", onAbort, { once: true });
  });
}

