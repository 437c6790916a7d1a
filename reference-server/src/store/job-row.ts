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
  created_at: number | string;
  updated_at: number | string;
  started_at: number | string | null;
  completed_at: number | string | null;
  version: number;
  run_at: number | string;
  lease_token: string | null;
  lease_expires_at: number | string | null;
}

/** Every column of `jobs`, in one order for both dialects. */
export const JOB_COLUMNS = [
  "id", "tenant", "type", "status", "input", "metadata", "progress_percent", "progress_message", "attempt",
  "max_attempts", "result", "error", "cancel_requested", "webhook_url", "created_at", "updated_at", "started_at",
  "completed_at", "version", "run_at", "lease_token", "lease_expires_at",
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

const time = (value: number | string | null) => (value === null ? null : Number(value));

/** The JSON texts of a decoded job's `input`, `metadata`, `result` and `error`, as stored. */
export interface StoredJobTexts {
  input: string;
  metadata: string;
  result: string | null;
  error: string | null;
}

// Keyed by the decoded object: a copy (`{ ...job, status }`) has no entry, so its texts are never stale.
const storedTexts = new WeakMap<StoredJob, StoredJobTexts>();

/**
 * The stored JSON texts of a job decoded by {@link decodeJobRow} (undefined for any other
 * object): the Job representation is built from them without a parse and a re-serialization.
 *
 * @example
 * const texts = storedTextsOf(job); // { input: '{"value":1}', metadata: "{}", … }
 */
export function storedTextsOf(job: StoredJob): StoredJobTexts | undefined {
  return storedTexts.get(job);
}

/**
 * A stored job from its row (either dialect). Its JSON columns are parsed on first read only:
 * a status read serves them as the stored text (`storedTextsOf`) and never parses them.
 *
 * @example
 * const job = decodeJobRow(row);
 */
export function decodeJobRow(row: JobRow): StoredJob {
  const texts: StoredJobTexts = { input: row.input, metadata: row.metadata, result: row.result, error: row.error };
  let input: unknown;
  let metadata: Record<string, string> | undefined;
  let result: unknown;
  let error: Problem | null | undefined;
  let parsed = 0; // bit per column: parsed or assigned
  const job: StoredJob = {
    id: row.id,
    tenant: row.tenant,
    type: row.type,
    status: row.status,
    get input() {
      if (!(parsed & 1)) (input = JSON.parse(texts.input)), (parsed |= 1);
      return input;
    },
    set input(value) {
      (input = value), (parsed |= 1), storedTexts.delete(job);
    },
    get metadata() {
      if (!(parsed & 2)) (metadata = JSON.parse(texts.metadata)), (parsed |= 2);
      return metadata!;
    },
    set metadata(value) {
      (metadata = value), (parsed |= 2), storedTexts.delete(job);
    },
    progress: row.progress_percent === null ? null : { percent: row.progress_percent, message: row.progress_message },
    attempt: row.attempt,
    maxAttempts: row.max_attempts,
    get result() {
      if (!(parsed & 4)) (result = texts.result === null ? null : JSON.parse(texts.result)), (parsed |= 4);
      return result;
    },
    set result(value) {
      (result = value), (parsed |= 4), storedTexts.delete(job);
    },
    get error() {
      if (!(parsed & 8)) (error = texts.error === null ? null : JSON.parse(texts.error)), (parsed |= 8);
      return error!;
    },
    set error(value) {
      (error = value), (parsed |= 8), storedTexts.delete(job);
    },
    cancelRequested: Boolean(row.cancel_requested),
    webhookUrl: row.webhook_url,
    createdAt: Number(row.created_at),
    updatedAt: Number(row.updated_at),
    startedAt: time(row.started_at),
    completedAt: time(row.completed_at),
    version: row.version,
    runAt: Number(row.run_at),
    leaseToken: row.lease_token,
    leaseExpiresAt: time(row.lease_expires_at),
  };
  storedTexts.set(job, texts);
  return job;
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
