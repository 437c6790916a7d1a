import { JOB_TTL_MS } from "./job-representation.ts";
import type { JobStore, PurgeResult } from "./job-store.ts";

/** What one sweep removed. */
export interface SweepResult extends PurgeResult {
  /** What the uploads' own cleanup reported (expired, purged, outputs), when it ran. */
  uploads?: Record<string, number>;
}

export interface RetentionSweepOptions {
  store: JobStore;
  /**
   * The uploads' cleanup: expires pending uploads past their time and deletes ended and
   * completed uploads past their retention, with their bytes (through the blob store).
   */
  uploads?: { cleanupExpired(): Promise<Record<string, number>> };
  /** How often a sweep runs; 0 never (call `sweepOnce` yourself). @default 60000 */
  everyMs?: number;
  /** Rows deleted per statement, so one sweep never holds a long lock. @default 500 */
  batch?: number;
  /** @default Date.now */
  now?: () => number;
  log?: (message: string, error?: unknown) => void;
}

/** A running sweep; see {@link startRetentionSweep}. */
export interface RetentionSweep {
  sweepOnce(): Promise<SweepResult>;
  /** Stops the timer and waits for a sweep in progress. */
  stop(): Promise<void>;
}

/**
 * Storage stops growing forever (issue 13, finding 16): every `everyMs` it deletes ended jobs
 * past their `expires_at` (7 days after they end, the representation's rule) with their events
 * and deliveries, idempotency keys past their lifetime (24 h), and runs the uploads' cleanup.
 * Every process runs it; the deletes are idempotent, so several sweepers only share the work.
 *
 * @example
 * const sweep = startRetentionSweep({ store, uploads, everyMs: 60_000, log });
 * await sweep.stop();
 */
export function startRetentionSweep(options: RetentionSweepOptions): RetentionSweep {
  const { store, uploads } = options;
  const batch = options.batch ?? 500;
  const now = options.now ?? Date.now;
  const log = options.log ?? (() => {});
  let running: Promise<unknown> | undefined;

  async function sweepOnce(): Promise<SweepResult> {
    const total: SweepResult = { jobs: 0, keys: 0 };
    // Batches until a short one: a backlog (a first sweep after an upgrade) drains, in bounded steps.
    for (let round = 0; round < 1000; round++) {
      const at = now();
      const purged = await store.purgeExpired({ now: at, jobsEndedBefore: at - JOB_TTL_MS, limit: batch });
      total.jobs += purged.jobs;
      total.keys += purged.keys;
      if (purged.jobs < batch && purged.keys < batch) break;
    }
    if (uploads) total.uploads = await uploads.cleanupExpired();
    return total;
  }

  const everyMs = options.everyMs ?? 60_000;
  const timer =
    everyMs > 0
      ? setInterval(() => {
          running ??= sweepOnce()
            .catch((error) => log("retention sweep failed", error))
            .finally(() => (running = undefined));
        }, everyMs)
      : undefined;
  timer?.unref();

  return {
    sweepOnce,
    async stop() {
      clearInterval(timer);
      await running;
    },
  };
}
