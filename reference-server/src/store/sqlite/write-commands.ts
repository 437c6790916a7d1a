import { randomUUID } from "node:crypto";
import { sendsWebhookEvent } from "async-jobs/protocol";
import type { JobEvent, Problem } from "async-jobs/types";
import type { Change } from "../../change-notifier.ts";
import { newId } from "../../new-id.ts";
import { candidateWindow, pickClaims, saturatedTenants } from "../claim-fairness.ts";
import { toJobEvent } from "../job-representation.ts";
import { decodeJobRow, type EndColumns, encodeEnd, type JobRow, type NewJobRow } from "../job-row.ts";
import type { DeliveryRecord, HeartbeatResult, Lease, PurgeResult, StoredJob } from "../job-store.ts";
import { type AttemptDecision, onAttemptFailed, onCancelRequested, onLeaseExpired, unprocessableJob } from "../job-transitions.ts";
import type { EventRow } from "../outbox-row.ts";
import type { GroupCommit } from "./group-commit.ts";
import type { JobStatements } from "./job-statements.ts";

type Emit = (change: Change) => void;

/** What the write commands need besides the statements. */
export interface WriteCommandContext {
  q: JobStatements;
  isolated: GroupCommit["isolated"];
  webhookFirstDelayMs: number;
  maxRunningPerTenant: number;
  log: (message: string, error?: unknown) => void;
}

/**
 * Every write of the SQLite job store, run by the writer thread inside a group commit. Each
 * takes plain data (times come from the caller's clock as `at`) and returns plain data (rows
 * rather than decoded jobs: a row crosses the thread boundary cheaply and is decoded once, by
 * the caller). What a transition decides comes from job-transitions.ts; this only persists it.
 *
 * @example
 * const commands = createWriteCommands({ q, isolated, webhookFirstDelayMs: 0, maxRunningPerTenant: Infinity, log });
 * commands.claimJobs({ limit: 8, leaseMs: 30_000, at: Date.now() }, emit);
 */
export function createWriteCommands(ctx: WriteCommandContext) {
  const { q, isolated, log } = ctx;

  /** Ends a job (terminal) and writes its outbox event in the same transaction. */
  function end(id: string, columns: EndColumns, at: number, emit: Emit): JobRow | undefined {
    const row = q.end.get({ ...columns, at, id });
    if (!row) return undefined;
    announceEnd(id, row.webhook_url === null ? undefined : row, columns.status, at, emit);
    return row;
  }

  /** The ended job's outbox event (when it has a webhook: its row, else undefined) and change. */
  function announceEnd(id: string, webhooked: JobRow | undefined, status: EndColumns["status"], at: number, emit: Emit) {
    // Decoded only for the webhook event: most jobs have none, and this thread is every write's.
    if (webhooked) {
      const job = decodeJobRow(webhooked);
      if (sendsWebhookEvent(job.webhookEvents, `job.${status}`)) insertEvent(job, toJobEvent(job), at, emit);
    }
    emit({ kind: "job", jobId: id, status });
  }

  /** Writes a job's webhook event to the outbox, in the caller's transaction. */
  function insertEvent(job: StoredJob, event: JobEvent, at: number, emit: Emit) {
    q.insertEvent.run(newId("evt", at), job.tenant, job.id, event.type, job.webhookUrl!, JSON.stringify(event), at + ctx.webhookFirstDelayMs, at);
    emit({ kind: "outbox" });
  }

  function apply(job: StoredJob, decision: AttemptDecision, at: number, emit: Emit) {
    if (decision.kind === "end") return void end(job.id, encodeEnd(decision.status, null, decision.error), at, emit);
    q.requeue.run({ run_at: decision.runAt, refund: 0, at, id: job.id });
    emit({ kind: "job", jobId: job.id, status: "queued" });
  }

  function held(lease: Lease): StoredJob | undefined {
    const row = q.leased.get(lease.id, lease.leaseToken);
    return row ? decodeJobRow(row) : undefined;
  }

  /** Ids to claim, oldest due first, skipping tenants at their running limit (claim-fairness.ts). */
  function claimOrder(at: number, limit: number): string[] {
    const maxRunning = ctx.maxRunningPerTenant;
    if (maxRunning === Infinity) return q.claimable.all(at, limit).map((row) => row.id);
    const running = new Map(q.runningPerTenant.all().map((row) => [row.tenant, row.n]));
    const skip = JSON.stringify(saturatedTenants(running, maxRunning));
    return pickClaims(q.claimableExcept.all(at, skip, candidateWindow(limit)), running, limit, maxRunning);
  }

  /** A job recovery could not process: failed without reading its row, or left for the next sweep. */
  function failUnprocessable(id: string, cause: unknown, at: number, emit: Emit) {
    log(`job ${id} could not be recovered from its lost lease; failing it`, cause);
    const failed = isolated(() => q.failUndecodable.run({ error: JSON.stringify(unprocessableJob(cause)), at, id }));
    if (failed.ok) emit({ kind: "job", jobId: id, status: "failed" });
    else log(`job ${id} could not be failed either; skipped`, failed.error);
  }

  return {
    createJob(
      args: { row: NewJobRow; idempotency?: { key: string; fingerprint: string; expiresAt: number } },
      emit: Emit,
    ): { kind: "created" | "replayed"; row: JobRow } | { kind: "key_reused" } {
      const { row: job, idempotency } = args;
      if (idempotency) {
        const existing = q.findKey.get(job.tenant, idempotency.key, job.now);
        if (existing) {
          if (existing.fingerprint !== idempotency.fingerprint) return { kind: "key_reused" };
          const row = q.getJobById.get(existing.job_id);
          if (row) return { kind: "replayed", row };
        }
      }
      const inserted = q.insertJob.get(job)!;
      if (idempotency) q.upsertKey.run(job.tenant, idempotency.key, idempotency.fingerprint, job.id, idempotency.expiresAt);
      emit({ kind: "job", jobId: job.id, status: "queued" });
      return { kind: "created", row: inserted };
    },

    requestCancel(
      args: { tenant: string; id: string; at: number },
      emit: Emit,
    ): { kind: "canceled" | "cancel_requested" | "already_canceled" | "terminal"; row: JobRow } | { kind: "not_found" } {
      const { tenant, id, at } = args;
      const row = q.getJob.get(id, tenant);
      if (!row) return { kind: "not_found" };
      const decision = onCancelRequested(decodeJobRow(row));
      switch (decision.kind) {
        case "cancel_now":
          q.flagCancel.run(at, id);
          return { kind: "canceled", row: end(id, encodeEnd("canceled", null, null), at, emit)! };
        case "flag_running":
          q.flagCancel.run(at, id);
          // A distinct status so workers in this process abort the job at once.
          emit({ kind: "job", jobId: id, status: "cancel_requested" });
          return { kind: "cancel_requested", row: q.getJobById.get(id)! };
        case "already_flagged":
          return { kind: "cancel_requested", row };
        default:
          return { kind: decision.kind, row };
      }
    },

    claimJobs(args: { limit: number; leaseMs: number; at: number }, emit: Emit): JobRow[] {
      const { limit, leaseMs, at } = args;
      const claimed: JobRow[] = [];
      for (const id of claimOrder(at, limit)) {
        const row = q.claim.get(randomUUID(), at + leaseMs, at, at, id);
        if (!row) continue;
        claimed.push(row);
        emit({ kind: "job", jobId: id, status: "running" });
      }
      return claimed;
    },

    heartbeat(args: { leases: Lease[]; until: number }): Map<string, HeartbeatResult> {
      const result = new Map<string, HeartbeatResult>();
      for (const lease of args.leases) {
        const row = q.heartbeat.get(args.until, lease.id, lease.leaseToken);
        result.set(lease.id, row ? { state: "held", cancelRequested: row.cancel_requested === 1 } : { state: "lost", cancelRequested: false });
      }
      return result;
    },

    /** A `job.started` or `job.progress` event, only while the lease holds (spec §3.1.1). */
    enqueueLifecycleEvent(args: { lease: Lease; type: "job.started" | "job.progress"; at: number }, emit: Emit): boolean {
      const job = held(args.lease);
      if (!job || job.webhookUrl === null) return false;
      insertEvent(job, toJobEvent(job, args.type), args.at, emit);
      return true;
    },

    reportProgress(args: { lease: Lease; percent: number; message: string | null; at: number }, emit: Emit): boolean {
      const { lease, percent, message, at } = args;
      const job = held(lease);
      if (!job) return false;
      const value = Math.max(0, Math.min(100, percent));
      // Within an attempt progress never goes down (spec §2).
      if (job.progress && value < job.progress.percent) return false;
      if (job.progress && value === job.progress.percent && message === job.progress.message) return true;
      q.setProgress.run(value, message, at, lease.id);
      emit({ kind: "job", jobId: lease.id, status: "running" });
      return true;
    },

    /** Ends a running job with `columns` (succeeded, or canceled after it saw its cancellation). */
    endRunningJob(args: { lease: Lease; columns: EndColumns; at: number }, emit: Emit): boolean {
      const { lease, columns, at } = args;
      // One statement checks the lease and ends the job; the whole row is read only for a webhook.
      const ended = q.endHeld.get({ ...columns, at, id: lease.id, lease_token: lease.leaseToken });
      if (!ended) return false;
      announceEnd(lease.id, ended.webhook_url === null ? undefined : q.getJobById.get(lease.id), columns.status, at, emit);
      return true;
    },

    failJob(args: { lease: Lease; error: Problem; retryAt?: number; at: number }, emit: Emit): boolean {
      const job = held(args.lease);
      if (!job) return false;
      apply(job, onAttemptFailed(job, { error: args.error, retryAt: args.retryAt }), args.at, emit);
      return true;
    },

    releaseJob(args: { lease: Lease; at: number }, emit: Emit): boolean {
      const { lease, at } = args;
      if (!held(lease)) return false;
      // The attempt did not really happen: give it back so max_attempts still counts real ones.
      q.requeue.run({ run_at: at, refund: 1, at, id: lease.id });
      emit({ kind: "job", jobId: lease.id, status: "queued" });
      return true;
    },

    /** Leases that expired before `expiredBefore`; the recovery itself happens `at`. */
    recoverExpiredLeases(args: { expiredBefore: number; at: number }, emit: Emit): number {
      const { at } = args;
      const expired = q.expiredLeases.all(args.expiredBefore);
      for (const { id } of expired) {
        // Its own savepoint: a row that cannot be processed rolls back alone (issue 13, finding 1).
        const recovered = isolated(() => {
          const job = decodeJobRow(q.getJobById.get(id)!);
          apply(job, onLeaseExpired(job, at), at, emit);
        });
        if (!recovered.ok) failUnprocessable(id, recovered.error, at, emit);
      }
      return expired.length;
    },

    purgeExpired(args: { now: number; jobsEndedBefore: number; limit: number }): PurgeResult {
      const ended = q.endedBefore.all(args.jobsEndedBefore, args.limit);
      for (const { id } of ended) {
        q.deleteDeliveries.run(id);
        q.deleteEvents.run(id);
        q.deleteJob.run(id);
      }
      return { jobs: ended.length, keys: q.deleteExpiredKeys.run(args.now, args.limit).changes };
    },

    claimDueEvents(args: { limit: number; leaseMs: number; at: number; skipTenants: readonly string[] }): EventRow[] {
      const { limit, leaseMs, at } = args;
      const events: EventRow[] = [];
      for (const { id } of q.dueEvents.all(at, JSON.stringify(args.skipTenants), limit)) {
        const row = q.claimEvent.get(at + leaseMs, id);
        if (row) events.push(row);
      }
      return events;
    },

    deferEvent(args: { eventId: string; until: number }): void {
      q.deferEvent.run(args.until, args.eventId);
    },

    recordDelivery(record: DeliveryRecord): void {
      q.insertDelivery.run(record.eventId, record.attempt, record.statusCode, record.error, record.at, record.nextAttemptAt, record.state);
      q.updateEvent.run(record.state, record.nextAttemptAt ?? record.at, record.eventId);
    },
  };
}

/** The writer thread's commands, by name. */
export type WriteCommands = ReturnType<typeof createWriteCommands>;
