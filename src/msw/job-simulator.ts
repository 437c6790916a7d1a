import type { Job, JobCommon, JobEvent, JobStatus, Problem } from "../types.ts";
import type { MockJobRun } from "./mock-job-type.ts";
import { createProblem } from "../protocol/problem-registry.ts";
import { isTerminal } from "../protocol/job-state.ts";
import { nextProgressEventAt, sendsWebhookEvent } from "../protocol/webhook-events.ts";
import { ProblemError } from "./problem-response.ts";
import type { VirtualScheduler } from "./virtual-scheduler.ts";

/** A job as the mock stores it; `job` is the representation the API returns. */
export interface JobRecord {
  readonly tenant: string;
  readonly seq: number;
  readonly job: JobCommon;
  readonly run: MockJobRun;
  /** Grows with every change of the representation: the ETag's source (`jobETag`, spec §2). */
  version: number;
  /** Bumped when the job ends, so its pending timeline events do nothing. */
  epoch: number;
}

/** Timing knobs of the simulated worker, in virtual milliseconds. */
export interface JobTiming {
  /** Delay between submit (or resume) and an attempt's start. */
  queueDelayMs: number;
  /** An abandoned attempt comes back to `queued` after this (lease expiry). */
  leaseTimeoutMs: number;
  /** First retry delay after a retryable failure, doubling per attempt. */
  retryDelayMs: number;
  /** Delay between a cancel of a running job and its worker stopping. */
  cancelDelayMs: number;
  /** Least gap between two `job.progress` webhook events of a job (spec §3.1.1). */
  progressEventIntervalMs: number;
}

const WEEK_MS = 7 * 24 * 3600 * 1000;

/**
 * The simulated job store and worker: the state machine of spec §2 played out in virtual time.
 *
 * @example
 * const jobs = createJobSimulator(scheduler, timing, (event) => events.push(event));
 */
export type JobSimulator = ReturnType<typeof createJobSimulator>;

/**
 * Creates the simulated job store and worker.
 *
 * @example
 * const jobs = createJobSimulator(createVirtualScheduler("manual", 0), timing, () => {});
 */
export function createJobSimulator(scheduler: VirtualScheduler, timing: JobTiming, onEvent: (event: JobEvent) => void) {
  const records = new Map<string, JobRecord>();
  const ordered: JobRecord[] = [];
  const waiters = new Set<() => void>();
  const parked = new Set<JobRecord>();
  let paused = false;
  let seq = 0;
  const iso = (ms: number) => new Date(ms).toISOString();
  const notify = () => {
    for (const check of [...waiters]) check();
  };

  const change = (rec: JobRecord, at: number, mutate: (job: JobCommon) => void) => {
    mutate(rec.job);
    rec.version++;
    rec.job.updated_at = iso(at);
    notify();
  };

  /** The webhook events the job chose (spec §3.1.1): the terminal ones unless `webhook.events` says otherwise. */
  const emit = (rec: JobRecord, type: JobEvent["type"]) => {
    if (!rec.job.webhook || !sendsWebhookEvent(rec.job.webhook.events, type)) return;
    // A terminal event's timestamp is completed_at, a lifecycle event's updated_at (spec §3.1, §3.1.1).
    onEvent({ type, timestamp: rec.job.completed_at ?? rec.job.updated_at, data: structuredClone(rec.job) as Job } as JobEvent);
  };

  // job.progress throttle per job (spec §3.1.1): one event per interval, the newest progress.
  const progressEvents = new WeakMap<JobRecord, { lastAt: number | undefined; due: boolean }>();
  const progressed = (rec: JobRecord, at: number) => {
    let state = progressEvents.get(rec);
    if (!state) progressEvents.set(rec, (state = { lastAt: undefined, due: false }));
    if (state.due) return;
    const send = (t: number) => {
      state.lastAt = t;
      emit(rec, "job.progress");
    };
    const next = nextProgressEventAt({ lastAt: state.lastAt, now: at, intervalMs: timing.progressEventIntervalMs });
    if (next <= at) return send(at);
    state.due = true;
    const { epoch } = rec;
    scheduler.schedule(next, () => {
      state.due = false;
      // Never after the end (spec §3.1.1).
      if (rec.epoch === epoch && rec.job.status === "running") send(next);
    });
  };

  const finish = (rec: JobRecord, at: number, status: JobStatus, fields: { result?: unknown; error?: Problem } = {}) => {
    if (isTerminal(rec.job.status)) return;
    rec.epoch++;
    parked.delete(rec);
    change(rec, at, (job) => {
      job.status = status;
      job.completed_at = iso(at);
      job.expires_at = iso(at + WEEK_MS);
      job.result = fields.result ?? null;
      job.error = fields.error ?? null;
    });
    emit(rec, `job.${status}` as JobEvent["type"]);
  };

  const scheduleStart = (rec: JobRecord, at: number) => {
    if (paused) return void parked.add(rec);
    const epoch = rec.epoch;
    scheduler.schedule(at, () => {
      if (rec.epoch !== epoch || rec.job.status !== "queued") return;
      if (paused) parked.add(rec);
      else startAttempt(rec, at);
    });
  };

  const retryOrExhaust = (rec: JobRecord, at: number, reason: string, delayMs: number) => {
    if (rec.job.attempt >= rec.job.max_attempts) {
      return finish(rec, at, "failed", {
        error: createProblem("attempts_exhausted", `${reason} on all ${rec.job.max_attempts} attempts.`),
      });
    }
    // running → queued when an attempt is lost or fails retryably; progress resets (spec §2).
    change(rec, at, (job) => {
      job.status = "queued";
      job.progress = null;
    });
    if (rec.job.cancel_requested) finish(rec, at, "canceled");
    else scheduleStart(rec, at + delayMs);
  };

  const startAttempt = (rec: JobRecord, at: number) => {
    const run = rec.run;
    const attempt = rec.job.attempt + 1;
    change(rec, at, (job) => {
      job.status = "running";
      job.attempt = attempt;
      job.progress = null;
      job.started_at ??= iso(at);
    });
    emit(rec, "job.started");
    const epoch = rec.epoch;
    const later = (t: number, fn: (t: number) => void) =>
      scheduler.schedule(t, () => {
        if (rec.epoch === epoch && rec.job.status === "running" && rec.job.attempt === attempt) fn(t);
      });
    if (attempt <= (run.abandonAttempts ?? 0)) {
      later(at + timing.leaseTimeoutMs, (t) => retryOrExhaust(rec, t, "The job's lease was lost", 0));
      return;
    }
    const duration = run.durationMs ?? 0;
    const steps = run.progressSteps ?? 0;
    for (let i = 1; i <= steps; i++) {
      later(at + (i * duration) / steps, (t) => {
        change(rec, t, (job) => {
          job.progress = { percent: Math.floor((100 * i) / steps), message: run.progressMessage ? run.progressMessage(i, steps) : `step ${i} of ${steps}` };
        });
        progressed(rec, t);
      });
    }
    later(at + duration, (t) => {
      if (attempt <= (run.failAttempts ?? 0)) {
        return retryOrExhaust(rec, t, "The job failed retryably", timing.retryDelayMs * 2 ** (attempt - 1));
      }
      if (run.error) {
        return finish(rec, t, "failed", { error: createProblem(run.error.code, run.error.message ?? "The job failed.", { status: 500 }) });
      }
      finish(rec, t, "succeeded", { result: run.result ?? {} });
    });
  };

  const find = (tenant: string, id: string) => {
    const rec = records.get(id);
    // Another tenant's job is answered exactly as a missing one (spec §1).
    if (!rec || rec.tenant !== tenant) throw new ProblemError("not_found", `No job ${id}.`);
    return rec;
  };

  return {
    notify,
    /** Requests held in a long poll right now (manual time). */
    held: () => waiters.size,
    records: ordered as readonly JobRecord[],
    /** Any tenant's job by id (the control API), or undefined. */
    byId: (id: string) => records.get(id),
    /** A snapshot of the job's representation (spec §2). */
    view: (rec: JobRecord) => structuredClone(rec.job) as Job,
    find,

    create(tenant: string, fields: Pick<JobCommon, "type" | "input" | "metadata" | "webhook" | "max_attempts">, run: MockJobRun): JobRecord {
      const now = scheduler.now();
      const n = seq++;
      const job: JobCommon = {
        id: `job_${now.toString(36).padStart(9, "0")}${n.toString(36).padStart(5, "0")}`,
        ...fields,
        status: "queued",
        progress: null,
        attempt: 0,
        result: null,
        error: null,
        cancel_requested: false,
        created_at: iso(now),
        updated_at: iso(now),
        started_at: null,
        completed_at: null,
        expires_at: iso(now + WEEK_MS),
      };
      const rec: JobRecord = { tenant, seq: n, job, run, version: 1, epoch: 0 };
      records.set(job.id, rec);
      ordered.push(rec);
      scheduleStart(rec, now + timing.queueDelayMs);
      return rec;
    },

    /** Cancel per spec §2: queued → canceled (200), running → cancel_requested (202). */
    cancel(rec: JobRecord): 200 | 202 {
      const now = scheduler.now();
      const status = rec.job.status;
      if (status === "canceled") return 200;
      if (isTerminal(status)) {
        throw new ProblemError("job_already_terminal", `Job ${rec.job.id} already ${status}.`);
      }
      if (!rec.job.cancel_requested) change(rec, now, (job) => void (job.cancel_requested = true));
      if (status === "queued") {
        finish(rec, now, "canceled");
        return 200;
      }
      scheduler.schedule(now + timing.cancelDelayMs, () => finish(rec, now + timing.cancelDelayMs, "canceled"));
      return 202;
    },

    /** Ends a job now, whatever its timeline said (failures and results on demand). */
    end(rec: JobRecord, outcome: { result: unknown } | { error: { code: string; message?: string; status?: number } }) {
      const now = scheduler.now();
      if ("error" in outcome) {
        const e = outcome.error;
        finish(rec, now, "failed", { error: createProblem(e.code, e.message ?? "The job failed.", { status: e.status ?? 500 }) });
      } else {
        finish(rec, now, "succeeded", { result: outcome.result });
      }
    },

    /** Sets a running job's progress now. */
    progress(rec: JobRecord, percent: number, message: string | null = null) {
      change(rec, scheduler.now(), (job) => void (job.progress = { percent, message }));
      if (rec.job.status === "running") progressed(rec, scheduler.now());
    },

    pause() {
      paused = true;
    },
    resume() {
      paused = false;
      const now = scheduler.now();
      for (const rec of parked) scheduleStart(rec, now);
      parked.clear();
      scheduler.runDue();
      notify();
    },

    /**
     * Resolves once `done()` holds or virtual time reaches `deadline` (spec §2 long poll).
     * In auto mode time jumps to the next event instead of waiting for it.
     */
    async hold(done: () => boolean, deadline: number, signal?: AbortSignal | null): Promise<void> {
      scheduler.runDue();
      if (scheduler.mode === "auto") {
        while (!done() && scheduler.now() < deadline) {
          const next = scheduler.nextAt();
          scheduler.skipTo(next !== undefined && next < deadline ? next : deadline);
        }
        return;
      }
      if (done() || scheduler.now() >= deadline) return;
      await new Promise<void>((resolve) => {
        const check = () => {
          if (!done() && scheduler.now() < deadline && !signal?.aborted) return;
          waiters.delete(check);
          resolve();
        };
        waiters.add(check);
        signal?.addEventListener("abort", check, { once: true });
      });
    },
  };
}
