import type pg from "pg";
import type { Problem } from "async-jobs/types";
import { newId } from "../../new-id.ts";
import { encodeEnd, encodeNewJob, type JobRow } from "../job-row.ts";
import type { CreateJobCommand, Lease } from "../job-store.ts";
import { createGroupCommit } from "./group-commit.ts";
import type { postgresJobStatements } from "./job-statements.ts";

/** A leased job to end without a webhook event. */
export interface PlainEnd {
  lease: Lease;
  status: "succeeded" | "failed" | "canceled";
  result: unknown;
  error: Problem | null;
}

export interface JobBatchesDeps {
  /** Runs a named (prepared) statement on the pool. */
  run<R extends pg.QueryResultRow>(name: string, text: string, values: unknown[]): Promise<pg.QueryResult<R>>;
  sql: ReturnType<typeof postgresJobStatements>;
  now(): number;
  /** Announces a committed change in this process. */
  emitJob(id: string, status: string): void;
}

/**
 * The two hot writes as group commits (see group-commit.ts): concurrent submits share one
 * `create_jobs` statement, concurrent ends of jobs without a webhook one `end_plain`; and the
 * hot read, status reads, batched alike into one `get_jobs`.
 *
 * @example
 * const batches = createJobBatches({ run, sql, now, emitJob });
 * const row = await batches.insertJob(command); // undefined: the idempotency key is taken
 */
export function createJobBatches(deps: JobBatchesDeps) {
  const { run, sql, now, emitJob } = deps;

  const inserts = createGroupCommit<CreateJobCommand, JobRow | undefined>({
    // Two submits with one key never share a batch: the second must see the first's key.
    conflictKey: (c) => (c.idempotency ? `${c.tenant}\u0000${c.idempotency.key}` : undefined),
    async run(commands) {
      const at = now();
      const rows = commands.map((c) => encodeNewJob(c, newId("job", at), at));
      const result = await run<JobRow>("create_jobs", sql.createJobs, [
        rows.map((r) => r.id),
        rows.map((r) => r.tenant),
        rows.map((r) => r.type),
        rows.map((r) => r.input),
        rows.map((r) => r.metadata),
        rows.map((r) => r.max_attempts),
        rows.map((r) => r.webhook_url),
        commands.map((c) => c.idempotency?.key ?? null),
        commands.map((c) => c.idempotency?.fingerprint ?? null),
        commands.map((c) => (c.idempotency ? at + c.idempotency.ttlMs : null)),
        at,
        rows.map((r) => r.traceparent),
        rows.map((r) => r.tracestate),
        rows.map((r) => r.webhook_events),
      ]);
      const byId = new Map(result.rows.map((r) => [r.id, r]));
      for (const row of result.rows) emitJob(row.id, "queued");
      return rows.map((r) => byId.get(r.id));
    },
  });

  const plainEnds = createGroupCommit<PlainEnd, boolean>({
    conflictKey: (f) => f.lease.id,
    async run(items) {
      const columns = items.map((f) => encodeEnd(f.status, f.result, f.error));
      const { rows } = await run<{ id: string }>("end_plain", sql.endPlain, [
        items.map((f) => f.lease.id),
        items.map((f) => f.lease.leaseToken),
        columns.map((c) => c.status),
        columns.map((c) => c.result),
        columns.map((c) => c.error),
        now(),
      ]);
      const ended = new Set(rows.map((r) => r.id));
      for (const f of items) if (ended.has(f.lease.id)) emitJob(f.lease.id, f.status);
      return items.map((f) => ended.has(f.lease.id));
    },
  });

  // Reads batch the same way: on a machine whose cores Postgres shares, a statement's round trip
  // (two socket writes, a backend wake-up, the protocol's parsing) cost more than the row lookup
  // (issue 14's read profile). A read waits at most for the batch in flight, which began after
  // it was asked for, so its row is never older than the request.
  const reads = createGroupCommit<{ tenant: string; id: string }, JobRow | undefined>({
    maxInFlight: 4,
    async run(keys) {
      const { rows } = await run<JobRow>("get_jobs", sql.getJobs, [keys.map((k) => k.id)]);
      const byId = new Map(rows.map((r) => [r.id, r]));
      return keys.map((k) => {
        const row = byId.get(k.id);
        return row?.tenant === k.tenant ? row : undefined;
      });
    },
  });

  return {
    /** The job's row, if it is the tenant's; concurrent reads share one statement. */
    getJob: (tenant: string, id: string) => reads.submit({ tenant, id }),
    /** The inserted row, or `undefined` when a live idempotency key kept the job from being inserted. */
    insertJob: (command: CreateJobCommand) => inserts.submit(command),
    /** `false` when the lease is lost or the job has a webhook (its end needs an outbox row). */
    endPlain: (end: PlainEnd) => plainEnds.submit(end),
  };
}
