import type { Job } from "async-jobs/types";
import { expectJob, expectStatus, isTerminal, jsonEqual } from "../assertions.ts";
import { type Check, type CheckContext, expect } from "../check.ts";
import { getJob, type Observation, observeJob, submitEcho, waitTerminal } from "../job-helpers.ts";

/** Statuses a job may be seen in after `from`, given the state machine (spec §2). */
const NEXT: Record<string, readonly string[]> = {
  queued: ["queued", "running", "succeeded", "failed", "canceled"],
  running: ["running", "queued", "succeeded", "failed", "canceled"],
  succeeded: ["succeeded"],
  failed: ["failed"],
  canceled: ["canceled"],
};

/** One echo job with progress, observed closely from submit to end and shared by several checks. */
function observedRun(ctx: CheckContext): Promise<{ job: Job; seen: Observation[] }> {
  return ctx.fixture("lifecycle.observed-run", async (f) => {
    const { job } = await submitEcho(f, { value: { observed: true }, duration_ms: 1_600, progress_steps: 8 });
    const seen = await observeJob(f, job.id, { intervalMs: 30, timeoutMs: 15_000 });
    // A few more readings after the end: a terminal job never changes again.
    for (let i = 0; i < 4; i++) {
      await f.sleep(100, { unscaled: true });
      const res = await getJob(f, job.id);
      expectStatus(res, 200, "GET the ended job");
      seen.push({ at: Date.now(), job: expectJob(res.body, res.exchange), etag: res.headers.get("etag"), res });
    }
    return { job, seen };
  });
}

/**
 * spec §2 The Job resource, state machine and execution.
 *
 * @example
 * await runConformance({ baseUrl, token, checks: lifecycleChecks });
 */
export const lifecycleChecks: Check[] = [
  {
    id: "lifecycle.status-monotonic",
    clause: "§2 State machine",
    level: "MUST",
    title: "Observed statuses only move along queued → running → terminal",
    needs: ["echo"],
    timeoutMs: 20_000,
    async run(ctx) {
      const { seen } = await observedRun(ctx);
      for (let i = 1; i < seen.length; i++) {
        const a = seen[i - 1]!;
        const b = seen[i]!;
        expect(NEXT[a.job.status]!.includes(b.job.status), `status went ${a.job.status} → ${b.job.status}`, a.res.exchange, b.res.exchange);
        if (a.job.status === "running" && b.job.status === "queued") {
          expect(false, "running → queued happened on a job whose attempt was neither lost nor failed", a.res.exchange, b.res.exchange);
        }
      }
      expect(seen.at(-1)!.job.status === "succeeded", `the echo job ended ${seen.at(-1)!.job.status}, expected succeeded`, seen.at(-1)!.res.exchange);
    },
  },
  {
    id: "lifecycle.terminal-stable",
    clause: "§2 State machine",
    level: "MUST",
    title: "A terminal job never changes again",
    needs: ["echo"],
    timeoutMs: 20_000,
    async run(ctx) {
      const { seen } = await observedRun(ctx);
      const firstTerminal = seen.findIndex((o) => isTerminal(o.job.status));
      expect(firstTerminal >= 0, "the job never ended");
      const ref = seen[firstTerminal]!;
      for (const o of seen.slice(firstTerminal + 1)) {
        expect(jsonEqual(o.job, ref.job), `the terminal job changed (${ref.job.status} → ${o.job.status})`, ref.res.exchange, o.res.exchange);
        expect(o.etag === ref.etag, "the terminal job's ETag changed", ref.res.exchange, o.res.exchange);
      }
    },
  },
  {
    id: "lifecycle.progress-monotonic",
    clause: "§2 State machine (progress)",
    level: "MUST",
    title: "Within one attempt progress.percent never decreases",
    needs: ["echo"],
    timeoutMs: 20_000,
    async run(ctx) {
      const { seen } = await observedRun(ctx);
      for (let i = 1; i < seen.length; i++) {
        const a = seen[i - 1]!;
        const b = seen[i]!;
        if (a.job.attempt !== b.job.attempt || !a.job.progress) continue;
        expect(b.job.progress !== null, "progress went back to null within an attempt", a.res.exchange, b.res.exchange);
        expect(b.job.progress.percent >= a.job.progress.percent, `progress went back from ${a.job.progress.percent} to ${b.job.progress.percent} within attempt ${a.job.attempt}`, a.res.exchange, b.res.exchange);
      }
    },
  },
  {
    id: "lifecycle.updated-at",
    clause: "§2 The Job resource",
    level: "MUST",
    title: "updated_at moves when the representation changes, and never goes back",
    needs: ["echo"],
    timeoutMs: 20_000,
    async run(ctx) {
      const { seen } = await observedRun(ctx);
      for (let i = 1; i < seen.length; i++) {
        const a = seen[i - 1]!;
        const b = seen[i]!;
        const ta = Date.parse(a.job.updated_at);
        const tb = Date.parse(b.job.updated_at);
        expect(tb >= ta, `updated_at went back from ${a.job.updated_at} to ${b.job.updated_at}`, a.res.exchange, b.res.exchange);
      }
      // Changes more than 1.1 s apart cannot share an updated_at, even at one-second precision.
      // Change i happened after the reading before it started; change j before reading j ended.
      const changed = seen.map((o, i) => i > 0 && !jsonEqual({ ...o.job, updated_at: 0 }, { ...seen[i - 1]!.job, updated_at: 0 }));
      for (let i = 1; i < seen.length; i++) {
        if (!changed[i]) continue;
        const notBefore = seen[i - 1]!.at - seen[i - 1]!.res.durationMs;
        for (let j = 0; j < i; j++) {
          if ((j === 0 || changed[j]) && notBefore - seen[j]!.at > 1_100) {
            expect(seen[i]!.job.updated_at !== seen[j]!.job.updated_at, `the job changed (${seen[j]!.job.status} → ${seen[i]!.job.status}) more than a second later but updated_at stayed ${seen[i]!.job.updated_at}`, seen[j]!.res.exchange, seen[i]!.res.exchange);
          }
        }
      }
      const last = seen.at(-1)!.job;
      expect(Date.parse(last.updated_at) > Date.parse(last.created_at), "a job that ran and ended still has updated_at = created_at", seen.at(-1)!.res.exchange);
    },
  },
  {
    id: "lifecycle.fields",
    clause: "§2 The Job resource",
    level: "MUST",
    title: "attempt, started_at, completed_at and result follow the job's life",
    needs: ["echo"],
    timeoutMs: 20_000,
    async run(ctx) {
      const { seen } = await observedRun(ctx);
      let startedAt: string | null = null;
      for (const o of seen) {
        const j = o.job;
        if (j.started_at === null) expect(j.attempt === 0, `attempt must be 0 while never started, got ${j.attempt}`, o.res.exchange);
        if (j.status === "running") expect(j.attempt >= 1 && j.started_at !== null, "a running job has attempt >= 1 and started_at", o.res.exchange);
        if (startedAt !== null) expect(j.started_at === startedAt, `started_at is the first start and never changes (${startedAt} → ${j.started_at})`, o.res.exchange);
        startedAt = j.started_at ?? startedAt;
      }
      const last = seen.at(-1)!;
      expect(last.job.attempt === 1, `a job that succeeded on its first attempt has attempt 1, got ${last.job.attempt}`, last.res.exchange);
      expect(jsonEqual(last.job.result, { value: { observed: true } }), `conformance.echo must succeed with { value }, got ${JSON.stringify(last.job.result)}`, last.res.exchange);
      expect(last.job.completed_at !== null && Date.parse(last.job.completed_at) >= Date.parse(last.job.started_at ?? last.job.created_at), "completed_at must not precede started_at", last.res.exchange);
    },
  },
  {
    id: "lifecycle.echo-progress",
    clause: "§2 Job types (conformance.echo)",
    level: "SHOULD",
    title: "conformance.echo reports progress as floor(100·i/n)",
    needs: ["echo"],
    timeoutMs: 20_000,
    async run(ctx) {
      const { seen } = await observedRun(ctx);
      const allowed = new Set(Array.from({ length: 9 }, (_, i) => Math.floor((100 * i) / 8)));
      const percents = seen.flatMap((o) => (o.job.progress ? [o.job.progress.percent] : []));
      expect(percents.length > 0, "no progress was observed on an 8-step, 1.6 s echo job", seen.at(-1)!.res.exchange);
      for (const o of seen) {
        if (o.job.progress) expect(allowed.has(o.job.progress.percent), `percent ${o.job.progress.percent} is not floor(100·i/8)`, o.res.exchange);
      }
    },
  },
  {
    id: "lifecycle.failed",
    clause: "§2 Job types (conformance.echo), §2 The Job resource",
    level: "MUST",
    title: "A job that fails for good ends failed with error.code from the failure, result null",
    needs: ["echo"],
    async run(ctx) {
      const { job } = await submitEcho(ctx, { fail: { code: "conformance_failure", message: "failing on purpose" } }, { max_attempts: 1 });
      const done = await waitTerminal(ctx, job.id);
      expect(done.job.status === "failed", `expected failed, got ${done.job.status}`, done.res.exchange);
      const error = done.job.error as Record<string, unknown> | null;
      expect(error !== null && typeof error === "object", "a failed job must carry error", done.res.exchange);
      expect(error.code === "conformance_failure", `error.code must be the failure's code, got ${JSON.stringify(error.code)}`, done.res.exchange);
      expect(typeof error.type === "string" && typeof error.title === "string" && Number.isInteger(error.status), "error must be a Problem (type, title, status, code)", done.res.exchange);
      expect(done.job.result === null, "a failed job has result null", done.res.exchange);
    },
  },
  {
    id: "lifecycle.retry-then-succeed",
    clause: "§2 Execution (retries)",
    level: "MUST",
    title: "A retryable failure runs again (attempt grows) and can then succeed",
    needs: ["echo"],
    timeoutMs: 30_000,
    async run(ctx) {
      const { job } = await submitEcho(ctx, { value: "retried", fail_attempts: 1 }, { max_attempts: 3 });
      const seen = await observeJob(ctx, job.id, { intervalMs: 50, timeoutMs: 25_000, onTimeout: "skip" });
      const last = seen.at(-1)!;
      expect(last.job.status === "succeeded", `expected succeeded after one retryable failure, got ${last.job.status}`, last.res.exchange);
      expect(last.job.attempt === 2, `expected attempt 2, got ${last.job.attempt}`, last.res.exchange);
      for (let i = 1; i < seen.length; i++) {
        expect(seen[i]!.job.attempt >= seen[i - 1]!.job.attempt, "attempt went back", seen[i - 1]!.res.exchange, seen[i]!.res.exchange);
      }
    },
  },
  {
    id: "lifecycle.retries-exhausted",
    clause: "§2 Execution (max_attempts)",
    level: "MUST",
    title: "A job failing on every attempt stops at max_attempts and ends failed",
    needs: ["echo"],
    timeoutMs: 30_000,
    async run(ctx) {
      const { job } = await submitEcho(ctx, { fail_attempts: 10 }, { max_attempts: 2 });
      const seen = await observeJob(ctx, job.id, { intervalMs: 50, timeoutMs: 25_000, onTimeout: "skip" });
      const last = seen.at(-1)!;
      expect(last.job.status === "failed", `expected failed, got ${last.job.status}`, last.res.exchange);
      expect(last.job.attempt === 2, `expected attempt = max_attempts = 2, got ${last.job.attempt}`, last.res.exchange);
    },
  },
  {
    id: "lifecycle.lost-lease-recovered",
    clause: "§2 Execution (lost lease)",
    level: "MUST",
    title: "An abandoned attempt comes back once its lease expires, runs again and succeeds",
    needs: ["echo", "lease"],
    timeoutMs: 40_000,
    async run(ctx) {
      const { job } = await submitEcho(ctx, { value: "recovered", abandon_attempts: 1, duration_ms: 100, progress_steps: 2 }, { max_attempts: 3 });
      const budget = (ctx.settings.leaseTimeoutS! * 3 + 8) * 1000;
      const seen = await observeJob(ctx, job.id, { intervalMs: 50, timeoutMs: budget });
      const last = seen.at(-1)!;
      expect(last.job.status === "succeeded", `expected succeeded after a lost lease, got ${last.job.status}`, last.res.exchange);
      expect(last.job.attempt === 2, `expected attempt 2 after one lost lease, got ${last.job.attempt}`, last.res.exchange);
      for (let i = 1; i < seen.length; i++) {
        const a = seen[i - 1]!;
        const b = seen[i]!;
        expect(NEXT[a.job.status]!.includes(b.job.status), `status went ${a.job.status} → ${b.job.status}`, a.res.exchange, b.res.exchange);
        if (a.job.attempt === b.job.attempt && a.job.progress && b.job.progress) {
          expect(b.job.progress.percent >= a.job.progress.percent, `progress went back within attempt ${b.job.attempt}`, a.res.exchange, b.res.exchange);
        }
      }
    },
  },
  {
    id: "lifecycle.attempts-exhausted",
    clause: "§2 Execution (lost lease)",
    level: "MUST",
    title: "Leases lost on every attempt end the job failed with error.code attempts_exhausted",
    needs: ["echo", "lease"],
    timeoutMs: 40_000,
    async run(ctx) {
      const { job } = await submitEcho(ctx, { abandon_attempts: 5 }, { max_attempts: 2 });
      const budget = (ctx.settings.leaseTimeoutS! * 4 + 8) * 1000;
      const done = await waitTerminal(ctx, job.id, budget);
      expect(done.job.status === "failed", `expected failed, got ${done.job.status}`, done.res.exchange);
      expect((done.job.error as { code?: string } | null)?.code === "attempts_exhausted", `expected error.code attempts_exhausted, got ${JSON.stringify((done.job.error as { code?: string } | null)?.code)}`, done.res.exchange);
      expect(done.job.attempt === 2, `expected attempt 2, got ${done.job.attempt}`, done.res.exchange);
    },
  },
  {
    id: "lifecycle.progress-reset",
    clause: "§2 State machine (progress)",
    level: "MUST",
    title: "progress goes back to null when a new attempt starts",
    needs: ["echo", "lease"],
    timeoutMs: 40_000,
    async run(ctx) {
      // Attempt 1 may report progress before it is abandoned; attempt 2 must start again from null.
      const { job } = await submitEcho(ctx, { abandon_attempts: 1, duration_ms: 1_500, progress_steps: 3 }, { max_attempts: 3 });
      const budget = (ctx.settings.leaseTimeoutS! * 3 + 8) * 1000;
      const seen = await observeJob(ctx, job.id, { intervalMs: 30, timeoutMs: budget });
      const secondAttempt = seen.filter((o) => o.job.attempt === 2);
      for (let i = 1; i < secondAttempt.length; i++) {
        const a = secondAttempt[i - 1]!;
        const b = secondAttempt[i]!;
        if (a.job.progress && b.job.progress) expect(b.job.progress.percent >= a.job.progress.percent, `progress went back from ${a.job.progress.percent} to ${b.job.progress.percent} within attempt 2 (was attempt 1's progress carried over?)`, a.res.exchange, b.res.exchange);
      }
      expect(seen.at(-1)!.job.status === "succeeded", `expected succeeded, got ${seen.at(-1)!.job.status}`, seen.at(-1)!.res.exchange);
    },
  },
];
