import type { Delivery, JobStatus, Problem } from "async-jobs/types";
import type { ChangeNotifier } from "../change-notifier.ts";
import type { TraceContext } from "../tracing/trace-context.ts";
import type { JobText } from "./job-representation.ts";

/** A job as stored: the Job representation's fields plus what only the server sees. Times in ms. */
export interface StoredJob {
  id: string;
  tenant: string;
  type: string;
  status: JobStatus;
  input: unknown;
  metadata: Record<string, string>;
  progress: { percent: number; message: string | null } | null;
  attempt: number;
  maxAttempts: number;
  result: unknown;
  error: Problem | null;
  cancelRequested: boolean;
  webhookUrl: string | null;
  /** The webhook events chosen at submit; `null`: the terminal events only (spec §3.1.1). */
  webhookEvents: readonly string[] | null;
  createdAt: number;
  updatedAt: number;
  startedAt: number | null;
  completedAt: number | null;
  /** Grows by one on every change of the representation: the ETag's source. */
  version: number;
  /** When a queued job may be claimed (later than now while a retry backs off). */
  runAt: number;
  leaseToken: string | null;
  leaseExpiresAt: number | null;
  /** The W3C trace context received on submit, or the server's submit span (spec §8.6). */
  trace: TraceContext | null;
}

/** Options every job store takes (each dialect adds its own). */
export interface JobStoreOptions {
  changes?: ChangeNotifier;
  /** Delay of a webhook event's first delivery (the schedule's first entry). @default 0 */
  webhookFirstDelayMs?: number;
  /**
   * Most jobs of one tenant running at once: a claim skips a tenant at its limit and takes
   * another tenant's oldest due job, so one tenant's long jobs cannot starve the others.
   * Exact across processes (Postgres serialises fair claims with an advisory lock).
   * @default Infinity (no limit)
   */
  maxRunningPerTenant?: number;
  /** Where a store reports what it skipped (a job it could not process). @default no logging */
  log?: (message: string, error?: unknown) => void;
  /** Injected clock for the application's times (leases on Postgres use the database's clock). @default Date.now */
  now?: () => number;
}

/** What a retention sweep deleted. */
export interface PurgeResult {
  /** Ended jobs past `expires_at`, each with its events and deliveries. */
  jobs: number;
  /** Idempotency keys past their lifetime. */
  keys: number;
}

/** A new job, and optionally its idempotency key (stored in the same transaction). */
export interface CreateJobCommand {
  tenant: string;
  type: string;
  input: unknown;
  metadata: Record<string, string>;
  maxAttempts: number;
  webhookUrl: string | null;
  /** `webhook.events` of the submit; absent or `null`: the terminal events only (spec §3.1.1). */
  webhookEvents?: readonly string[] | null;
  idempotency?: { key: string; fingerprint: string; ttlMs: number };
  /** Stored with the job, handed to `run` and sent on its webhooks (spec §8.6). */
  trace?: TraceContext | null;
}

/** `replayed`: the key was already stored with the same fingerprint; `key_reused`: with another. */
export type CreateJobOutcome =
  | { kind: "created"; job: StoredJob }
  | { kind: "replayed"; job: StoredJob }
  | { kind: "key_reused" };

/** Queued jobs of one type (metrics: queue depth and the oldest queued job's age). */
export interface QueueStat {
  type: string;
  queued: number;
  /** Epoch ms of the oldest queued job's creation. */
  oldestCreatedAt: number;
}

export interface ListJobsQuery {
  tenant: string;
  statuses?: JobStatus[];
  type?: string;
  limit: number;
  /** Only jobs with an id below this one (ids sort by creation time). */
  beforeId?: string;
}

/** A worker's hold on a running job; every transition checks the token, so a lost lease cannot finish a job. */
export interface Lease {
  id: string;
  leaseToken: string;
}

export type CancelOutcome =
  | { kind: "canceled"; job: StoredJob }
  | { kind: "cancel_requested"; job: StoredJob }
  | { kind: "already_canceled"; job: StoredJob }
  | { kind: "terminal"; job: StoredJob }
  | { kind: "not_found" };

/** A webhook event in the outbox. */
export interface OutboxEvent {
  id: string;
  tenant: string;
  jobId: string;
  type: string;
  url: string;
  /** The exact body to send (the same bytes on every retry). */
  payload: string;
  /** Attempts made so far, including the one just claimed. */
  attempts: number;
  /** The job's trace context, sent as `traceparent`/`tracestate` (spec §8.6). */
  trace: TraceContext | null;
}

export interface DeliveryRecord {
  eventId: string;
  attempt: number;
  statusCode: number | null;
  error: string | null;
  at: number;
  nextAttemptAt: number | null;
  state: Delivery["state"];
}

export interface HeartbeatResult {
  /** `lost`: the lease expired or the job left `running`; stop working on it. */
  state: "held" | "lost";
  cancelRequested: boolean;
}

/**
 * The durable state of jobs, idempotency keys and the webhook outbox. Every method is one
 * transaction; every transition enforces spec §2's state machine (a terminal job never
 * changes again) and writes the outbox row of a terminal job's event in the same transaction.
 * After each commit the store emits on `changes`. `store/sqlite/` and `store/postgres/`
 * implement it and both run `describeJobStore` (test/store/describe-job-store.ts).
 *
 * @example
 * const store = await openSqliteJobStore({ path: "./data/jobs.db" });
 * const outcome = await store.createJob({ tenant: "t1", type: "conformance.echo", input: {}, metadata: {}, maxAttempts: 3, webhookUrl: null });
 */
export interface JobStore {
  readonly changes: ChangeNotifier;
  /** Creates or upgrades the schema (idempotent; also run on start). */
  migrate(): Promise<void>;
  /** A `202` may be sent once this resolves: the job (and its key) are durably committed. */
  createJob(command: CreateJobCommand): Promise<CreateJobOutcome>;
  /** The live idempotency record of a key (expired ones are ignored). */
  findIdempotencyKey(tenant: string, key: string): Promise<{ fingerprint: string; jobId: string } | undefined>;
  getJob(tenant: string, id: string): Promise<StoredJob | undefined>;
  /**
   * A plain status read's answer (spec §2): the job's version, status and representation text,
   * the same as `cachedJobText(await getJob(tenant, id))`; a store may look the version up alone
   * and serve the text already built for it.
   */
  readJobText(tenant: string, id: string): Promise<JobText | undefined>;
  /** Newest first. */
  listJobs(query: ListJobsQuery): Promise<StoredJob[]>;
  /** Queued jobs of `tenant` (of all tenants when `null`), counted up to `atMost` (a cap's check need not count further). */
  countQueued(tenant: string | null, atMost: number): Promise<number>;
  /** Queued → canceled (with its event); running → cancel_requested; canceled stays; others are terminal. */
  requestCancel(tenant: string, id: string): Promise<CancelOutcome>;

  /** Claims up to `limit` due queued jobs, oldest `run_at` first: running, attempt + 1, progress null. */
  claimJobs(options: { workerId: string; limit: number; leaseMs: number; now?: number }): Promise<StoredJob[]>;
  /** Extends the leases; reports lost leases and cancellation requests. */
  heartbeat(leases: Lease[], leaseMs: number): Promise<Map<string, HeartbeatResult>>;
  /** Ignored (false) when the lease is lost or the percent would go down. */
  reportProgress(lease: Lease, percent: number, message: string | null): Promise<boolean>;
  /**
   * Writes a `job.started` or `job.progress` event of the leased job to the outbox, built from
   * the job as it is in that transaction, only while the lease holds (so never after the job's
   * terminal event, spec §3.1.1). False when the lease is gone or the job has no webhook.
   */
  enqueueLifecycleEvent(lease: Lease, type: "job.started" | "job.progress"): Promise<boolean>;
  completeJob(lease: Lease, result: unknown): Promise<boolean>;
  /**
   * Fails the attempt. With `retryAt`, and attempts left, the job goes back to `queued` until then;
   * with no attempts left it fails with `attempts_exhausted`. Without `retryAt` it fails for good with `error`.
   */
  failJob(lease: Lease, error: Problem, retryAt?: number): Promise<boolean>;
  /** A running job that saw its cancellation: → canceled. */
  cancelRunningJob(lease: Lease): Promise<boolean>;
  /** Gives a job back unfinished (drain): → queued, the attempt not counted. */
  releaseJob(lease: Lease): Promise<boolean>;
  /**
   * Lost leases: back to queued while attempts remain, else failed `attempts_exhausted` (or
   * canceled when asked). Each job is recovered on its own: one whose row cannot be processed
   * is failed (or skipped) with a log line and never blocks another's recovery.
   */
  recoverExpiredLeases(now?: number): Promise<number>;
  /**
   * Retention sweep: deletes up to `limit` ended jobs whose `completed_at` is before
   * `jobsEndedBefore` (with their events and deliveries) and up to `limit` idempotency keys
   * expired at `now`.
   */
  purgeExpired(options: { now: number; jobsEndedBefore: number; limit: number }): Promise<PurgeResult>;
  /** Queued jobs by type, for `GET /metrics` (read at scrape time, the same from every process). */
  queueStats?(): Promise<QueueStat[]>;

  /**
   * Claims due outbox events for delivery (hidden from other deliverers for `leaseMs`), none of
   * `skipTenants` (tenants whose delivery slots are full: their backlog must not fill the claim).
   */
  claimDueEvents(options: { limit: number; leaseMs: number; now?: number; skipTenants?: readonly string[] }): Promise<OutboxEvent[]>;
  /** Gives a claimed event back unattempted: due again at `until`, its attempt not counted. */
  deferEvent(eventId: string, until: number): Promise<void>;
  /** Records one delivery attempt and the event's next state. */
  recordDelivery(record: DeliveryRecord): Promise<void>;
  /** `undefined` when the job does not exist for this tenant. Oldest first. */
  listDeliveries(tenant: string, jobId: string): Promise<DeliveryRecord[] | undefined>;

  close(): Promise<void>;
}
