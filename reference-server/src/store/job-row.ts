import type { JobStatus, Problem } from "async-jobs/types";
import type { CreateJobCommand, StoredJob } from "./job-store.ts";

/**
 * A `jobs` row as either driver returns it. Both dialects have the same columns; only the
 * driver's types differ: pg returns BIGINT as a string and booleans as booleans, better-sqlite3
 * returns numbers for both. {@link decodeJobRow} accepts either.
 */
export interface JobRow {
  id: string;
  tenant: string;
  type: string;
  status: JobStatus;
  /** JSON text, as are `metadata`, `result` and `error`. */
  input: string;
  metadata: string;
  progress_percent: number | null;
  progress_message: string | null;
  attempt: number;
  max_attempts: number;
  result: string | null;
  error: string | null;
  cancel_requested: boolean | number;
  webhook_url: string | null;
  /** JSON array text, or NULL: the terminal events only (spec §3.1.1). */
  webhook_events: string | null;
  created_at: number | string;
  updated_at: number | string;
  started_at: number | string | null;
  completed_at: number | string | null;
  version: number;
  run_at: number | string;
  lease_token: string | null;
  lease_expires_at: number | string | null;
  traceparent: string | null;
  tracestate: string | null;
}

/** Every column of `jobs`, in one order for both dialects. */
export const JOB_COLUMNS = [
  "id", "tenant", "type", "status", "input", "metadata", "progress_percent", "progress_message", "attempt",
  "max_attempts", "result", "error", "cancel_requested", "webhook_url", "webhook_events", "created_at", "updated_at", "started_at",
  "completed_at", "version", "run_at", "lease_token", "lease_expires_at", "traceparent", "tracestate",
] as const satisfies readonly (keyof JobRow)[];

/**
 * The select list of a job: columns are named, never `*`, so a prepared statement's result
 * shape survives a later migration.
 *
 * @example
 * `SELECT ${jobColumns("j")} FROM jobs j` // "j.id, j.tenant, …"
 */
export function jobColumns(alias?: string): string {
  return JOB_COLUMNS.map((c) => (alias ? `${alias}.${c}` : c)).join(", ");
}

/**
 * A row from its values in {@link JOB_COLUMNS} order. A status read asks the driver for the
 * values alone (better-sqlite3's `raw` mode): its object per row cost more than the decoding
 * that follows (issue 14's read profile).
 *
 * @example
 * decodeJobRow(jobRowOfValues(q.getJobValues.get(id, tenant)!));
 */
export function jobRowOfValues(values: readonly unknown[]): JobRow {
  const row: Record<string, unknown> = {};
  for (let i = 0; i < JOB_COLUMNS.length; i++) row[JOB_COLUMNS[i]!] = values[i];
  return row as unknown as JobRow;
}

const time = (value: number | string | null) => (value === null ? null : Number(value));
const json = (text: string | null) => (text === null ? null : JSON.parse(text));

/**
 * A stored job from its row (either dialect).
 *
 * @example
 * const job = decodeJobRow(row);
 */
export function decodeJobRow(row: JobRow): StoredJob {
  return {
    id: row.id,
    tenant: row.tenant,
    type: row.type,
    status: row.status,
    input: JSON.parse(row.input),
    metadata: JSON.parse(row.metadata),
    progress: row.progress_percent === null ? null : { percent: row.progress_percent, message: row.progress_message },
    attempt: row.attempt,
    maxAttempts: row.max_attempts,
    result: json(row.result),
    error: json(row.error),
    cancelRequested: Boolean(row.cancel_requested),
    webhookUrl: row.webhook_url,
    webhookEvents: json(row.webhook_events),
    createdAt: Number(row.created_at),
    updatedAt: Number(row.updated_at),
    startedAt: time(row.started_at),
    completedAt: time(row.completed_at),
    version: row.version,
    runAt: Number(row.run_at),
    leaseToken: row.lease_token,
    leaseExpiresAt: time(row.lease_expires_at),
    trace: row.traceparent === null ? null : { traceparent: row.traceparent, tracestate: row.tracestate },
  };
}

/** The columns a new job is inserted with (the rest take the schema's defaults). */
export interface NewJobRow {
  id: string;
  tenant: string;
  type: string;
  input: string;
  metadata: string;
  max_attempts: number;
  webhook_url: string | null;
  traceparent: string | null;
  tracestate: string | null;
  webhook_events: string | null;
  /** Creation time: also `updated_at` and `run_at`. */
  now: number;
}

/**
 * The row of a job about to be created.
 *
 * @example
 * insert.run(encodeNewJob(command, newId("job", at), at));
 */
export function encodeNewJob(command: CreateJobCommand, id: string, now: number): NewJobRow {
  return {
    id,
    tenant: command.tenant,
    type: command.type,
    input: JSON.stringify(command.input ?? null),
    metadata: JSON.stringify(command.metadata),
    max_attempts: command.maxAttempts,
    webhook_url: command.webhookUrl,
    traceparent: command.trace?.traceparent ?? null,
    tracestate: command.trace?.tracestate ?? null,
    webhook_events: command.webhookEvents ? JSON.stringify(command.webhookEvents) : null,
    now,
  };
}

/** The `result` and `error` columns of a job that ends with `status`. */
export interface EndColumns {
  status: "succeeded" | "failed" | "canceled";
  result: string | null;
  error: string | null;
}

/**
 * The columns written when a job ends: a result only when it succeeded (spec §2).
 *
 * @example
 * encodeEnd("failed", null, problem); // { status: "failed", result: null, error: "{…}" }
 */
export function encodeEnd(status: EndColumns["status"], result: unknown, error: Problem | null): EndColumns {
  return {
    status,
    result: status === "succeeded" ? JSON.stringify(result ?? null) : null,
    error: error === null ? null : JSON.stringify(error),
  };
}
