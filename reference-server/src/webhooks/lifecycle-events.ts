import { nextProgressEventAt, sendsWebhookEvent } from "async-jobs/protocol";
import type { JobStore, Lease, StoredJob } from "../store/job-store.ts";

/** Options of {@link createLifecycleWebhooks}. */
export interface LifecycleWebhooksOptions {
  store: JobStore;
  /** Least gap between two `job.progress` events of one job (spec §3.1.1). @default 5000 */
  progressIntervalMs?: number;
  log?: (message: string, error?: unknown) => void;
}

/** The worker's calls: an attempt started, its progress changed. */
export interface LifecycleWebhooks {
  /** Resolves once a chosen `job.started` is in the outbox, so it is ahead of the job's end. */
  started(job: StoredJob, lease: Lease): Promise<void>;
  /** Throttled: at most one `job.progress` per interval, carrying the progress current when it is written. */
  progressed(job: StoredJob, lease: Lease): void;
}

/** The reference server's throttle of `job.progress` events. */
export const defaultProgressEventIntervalMs = 5_000;

/**
 * The lifecycle webhooks a job chose with `webhook.events` (spec §3.1.1): `job.started` when an
 * attempt starts, `job.progress` throttled per job. A progress inside the interval arms one
 * timer for the interval's end, and the event then written is built from the job as stored at
 * that moment (the newest progress). Events are written only while the attempt's lease holds
 * (the store checks it in the same transaction), so none comes after the job's terminal event.
 * Signing and delivery are the outbox's, as for every event.
 *
 * @example
 * const lifecycle = createLifecycleWebhooks({ store });
 * await lifecycle.started(job, lease); … lifecycle.progressed(job, lease);
 */
export function createLifecycleWebhooks(options: LifecycleWebhooksOptions): LifecycleWebhooks {
  const { store } = options;
  const intervalMs = options.progressIntervalMs ?? defaultProgressEventIntervalMs;
  const log = options.log ?? (() => {});
  /** Per attempt (lease): when its last progress event was written, and the armed timer. */
  const throttles = new Map<string, { lastAt: number | undefined; due: NodeJS.Timeout | undefined; forget: NodeJS.Timeout | undefined }>();

  const enqueue = (lease: Lease, type: "job.started" | "job.progress") =>
    store.enqueueLifecycleEvent(lease, type).then(
      () => undefined,
      (error: unknown) => log(`could not write the ${type} event of ${lease.id}`, error),
    );

  return {
    async started(job, lease) {
      if (job.webhookUrl !== null && sendsWebhookEvent(job.webhookEvents, "job.started")) await enqueue(lease, "job.started");
    },
    progressed(job, lease) {
      if (job.webhookUrl === null || !sendsWebhookEvent(job.webhookEvents, "job.progress")) return;
      const key = `${lease.id}\0${lease.leaseToken}`;
      let throttle = throttles.get(key);
      if (!throttle) throttles.set(key, (throttle = { lastAt: undefined, due: undefined, forget: undefined }));
      if (throttle.due) return; // the armed event will carry this progress
      const state = throttle;
      const write = () => {
        state.due = undefined;
        state.lastAt = Date.now();
        void enqueue(lease, "job.progress");
        // A quiet interval later the attempt needs no throttle state.
        clearTimeout(state.forget);
        state.forget = setTimeout(() => state.due || throttles.delete(key), intervalMs);
        state.forget.unref();
      };
      const at = nextProgressEventAt({ lastAt: state.lastAt, now: Date.now(), intervalMs });
      if (at <= Date.now()) return write();
      state.due = setTimeout(write, at - Date.now());
      state.due.unref();
    },
  };
}
