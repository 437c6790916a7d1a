import { formatRetryAfter } from "../protocol/retry-after.ts";
import type { JobEvent } from "../types.ts";
import { createJobSimulator, type JobSimulator } from "./job-simulator.ts";
import type { MockFault } from "./mock-fault.ts";
import { type MockJobTypesOption, toMockJobTypes } from "./job-type-runner.ts";
import type { MockJobContext, MockJobType } from "./mock-job-type.ts";
import { createUploadSimulator, type UploadSimulator } from "./upload-simulator.ts";
import { createVirtualScheduler, type MockTimeMode, type VirtualScheduler } from "./virtual-scheduler.ts";

/** Options of {@link createJobsMock}; every field is optional. */
export interface JobsMockOptions {
  /** The API origin (and optional path prefix) your code calls. @default "http://async-jobs.test" */
  baseUrl?: string;
  /**
   * Where signed part and download URLs point, as on a server whose bytes live in an object store
   * (spec §4.3: another origin); only those URLs answer there. @default baseUrl
   */
  storageUrl?: string;
  /** Accepted bearer tokens and their tenants. @default any non-empty token, each its own tenant */
  tokens?: Record<string, string>;
  /** How virtual time moves (see {@link MockTimeMode}). @default "auto" */
  time?: MockTimeMode;
  /** Virtual time at creation. @default the wall clock */
  startTime?: Date | number;
  /**
   * The job types served: mock job types by name, or server job types (`defineJobType`), whose
   * real `run` the mock calls, beside the built-in ones. @default builtInMockJobTypes
   */
  jobTypes?: MockJobTypesOption;
  /** `max_attempts` when a submit gives none. @default 3 */
  maxAttempts?: number;
  /** Virtual delay from submit to an attempt's start. @default 0 */
  queueDelayMs?: number;
  /** Virtual time after which an abandoned attempt is re-queued. @default 30000 */
  leaseTimeoutMs?: number;
  /** First virtual retry delay after a retryable failure, doubling. @default 1000 */
  retryDelayMs?: number;
  /** Virtual delay between canceling a running job and its end. @default 0 */
  cancelDelayMs?: number;
  /** Least virtual gap between two `job.progress` webhook events of a job (spec §3.1.1). @default 5000 */
  progressEventIntervalMs?: number;
  /** Virtual duration of `file.checksum` and `file.gzip`. @default 1000 */
  fileJobDurationMs?: number;
  /** `Retry-After` on 202s, active 200s, 304s and 409s, seconds. @default 1 */
  retryAfterSeconds?: number;
  /** Cap of `Prefer: wait`, seconds. @default 20 */
  maxWaitSeconds?: number;
  /** Smallest part but the last. @default 5 MiB (the S3 rule) */
  minPartSize?: number;
  /** Lifetime of signed URLs, virtual seconds. @default 3600 */
  urlTtlSeconds?: number;
  /** JSON body limit in bytes. @default 1 MiB */
  bodyLimit?: number;
  /** Called with each terminal event of a job that has a `webhook` (the mock does not POST it). */
  onEvent?: (event: JobEvent) => void;
}

/** One request the mock answered. */
export interface MockRequestRecord {
  method: string;
  path: string;
  status: number;
}

/** An idempotency record (spec §2): the body's fingerprint, and the job once the first request answered. */
export interface IdempotencyRecord {
  fingerprint: string;
  jobId?: string;
}

/**
 * Everything one mock holds, shared by its routes, its fault injection and its controls.
 *
 * @example
 * const state = createMockState({ time: "manual" });
 */
export interface MockState {
  readonly options: JobsMockOptions;
  /** Without a trailing slash. */
  readonly baseUrl: string;
  /** The base URL's path prefix, without a trailing slash ("" for an origin). */
  readonly basePath: string;
  /** Where signed URLs point (`storageUrl`, else the base URL), without a trailing slash. */
  readonly storageUrl: string;
  /** Its path prefix, without a trailing slash. */
  readonly storagePath: string;
  readonly scheduler: VirtualScheduler;
  readonly jobs: JobSimulator;
  readonly uploads: UploadSimulator;
  readonly jobTypes: Record<string, MockJobType>;
  /** `Retry-After` seconds the mock answers with, as a header value. */
  readonly retryAfter: string;
  readonly maxWaitSeconds: number;
  readonly bodyLimit: number;
  /** Idempotency records by tenant and key. */
  readonly keys: Map<string, IdempotencyRecord>;
  readonly events: JobEvent[];
  readonly requests: MockRequestRecord[];
  readonly faults: MockFault[];
  /** What a mock job type may reach for a tenant. */
  context(tenant: string): MockJobContext;
}

const MiB = 1024 * 1024;

/**
 * Creates a mock's state from its options, the defaults in one place.
 *
 * @example
 * const state = createMockState({ baseUrl: "http://jobs.test" });
 */
export function createMockState(options: JobsMockOptions): MockState {
  const baseUrl = (options.baseUrl ?? "http://async-jobs.test").replace(/\/$/, "");
  const storageUrl = (options.storageUrl ?? baseUrl).replace(/\/$/, "");
  const start = options.startTime === undefined ? Date.now() : +options.startTime;
  const scheduler = createVirtualScheduler(options.time ?? "auto", start);
  const events: JobEvent[] = [];
  const jobs = createJobSimulator(
    scheduler,
    {
      queueDelayMs: options.queueDelayMs ?? 0,
      leaseTimeoutMs: options.leaseTimeoutMs ?? 30_000,
      retryDelayMs: options.retryDelayMs ?? 1000,
      cancelDelayMs: options.cancelDelayMs ?? 0,
      progressEventIntervalMs: options.progressEventIntervalMs ?? 5000,
    },
    (event) => {
      events.push(event);
      options.onEvent?.(event);
    },
  );
  const uploads = createUploadSimulator(scheduler, {
    baseUrl: storageUrl,
    minPartSize: options.minPartSize ?? 5 * MiB,
    urlTtlSeconds: options.urlTtlSeconds ?? 3600,
  });
  const fileJobDurationMs = options.fileJobDurationMs ?? 1000;
  return {
    options,
    baseUrl,
    basePath: new URL(baseUrl).pathname.replace(/\/$/, ""),
    storageUrl,
    storagePath: new URL(storageUrl).pathname.replace(/\/$/, ""),
    scheduler,
    jobs,
    uploads,
    jobTypes: toMockJobTypes(options.jobTypes),
    retryAfter: formatRetryAfter(options.retryAfterSeconds ?? 1),
    maxWaitSeconds: options.maxWaitSeconds ?? 20,
    bodyLimit: options.bodyLimit ?? MiB,
    keys: new Map(),
    events,
    requests: [],
    faults: [],
    context: (tenant) => ({
      upload: (id) => uploads.bytesOf(tenant, id),
      publish: (bytes) => uploads.publish(bytes),
      fileJobDurationMs,
    }),
  };
}
