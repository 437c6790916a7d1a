import {
  closeServerParts,
  type JobsServerOptions,
  openServerParts,
  startBackground,
  toServerConfig,
} from "./create-jobs-server.ts";
import type { JobTypeRegistry } from "./job-types/index.ts";
import type { JobStore } from "./store/job-store.ts";
import { logToStderr } from "./log-to-stderr.ts";

/** A worker process's running parts, made by {@link startWorker}. */
export interface JobsWorker {
  /** `wrk_…` */
  readonly id: string;
  readonly store: JobStore;
  readonly registry: JobTypeRegistry;
  /** Stops leasing, lets running jobs finish within `graceMs`, gives the rest back, closes the store. */
  stop(graceMs?: number): Promise<void>;
}

/**
 * A process that runs jobs and serves nothing: leases jobs of the shared store, runs the
 * built-in job types and yours, delivers webhooks. Start several beside `createJobsServer`
 * (with `worker: false`) to scale out on Postgres.
 *
 * @example
 * import { startWorker } from "async-jobs-server";
 * const worker = await startWorker({ store: process.env.DATABASE_URL, jobTypes: [wordCount] });
 * process.on("SIGTERM", () => worker.stop(10_000));
 */
export async function startWorker(options: JobsServerOptions = {}): Promise<JobsWorker> {
  const config = toServerConfig("worker", options);
  const log = options.onError ?? logToStderr;
  const parts = await openServerParts(config, options.jobTypes, log);
  const background = startBackground(parts, true);
  let stopping: Promise<void> | undefined;
  return {
    id: background.worker!.id,
    store: parts.store,
    registry: parts.registry,
    stop(graceMs = config.drainGraceMs) {
      stopping ??= closeServerParts(parts, background, graceMs);
      return stopping;
    },
  };
}
