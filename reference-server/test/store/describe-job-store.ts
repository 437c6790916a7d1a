import type { Problem } from "async-jobs/types";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { toJob } from "../../src/store/job-representation.ts";
import { estimatedEnd } from "../../src/store/poll-estimate.ts";
import type { CreateJobCommand, JobStore, JobStoreOptions, Lease, StoredJob } from "../../src/store/job-store.ts";

const problem: Problem = { type: "https://async-jobs.dev/problems/x", title: "X", status: 500, detail: "boom", code: "boom" };

const command = (overrides: Partial<CreateJobCommand> = {}): CreateJobCommand => ({
  tenant: "acme",
  type: "conformance.echo",
  input: { value: 1 },
  metadata: { k: "v" },
  maxAttempts: 3,
  webhookUrl: null,
  ...overrides,
});

const leaseOf = (job: StoredJob): Lease => ({ id: job.id, leaseToken: job.leaseToken! });

/**
 * The one contract suite of the JobStore seam: every implementation runs it.
 *
 * @example
 * describeJobStore("sqlite", async (options) => openSqliteJobStore({ path: tempFile(), ...options }));
 */
export function describeJobStore(name: string, create: (options?: JobStoreOptions) => Promise<JobStore>) {
  describe(`JobStore contract: ${name}`, () => {
    let store: JobStore;
    const others: JobStore[] = [];
    /** Another store (own options) over a fresh database, closed after the test. */
    async function open(options: JobStoreOptions) {
      const other = await create(options);
      others.push(other);
      return other;
    }
    beforeEach(async () => {
      store = await create();
    });
    afterEach(async () => {
      await store.close();
      await Promise.all(others.splice(0).map((o) => o.close()));
    });

    async function created(overrides: Partial<CreateJobCommand> = {}) {
      const outcome = await store.createJob(command(overrides));
      if (outcome.kind !== "created") throw new Error(outcome.kind);
      return outcome.job;
    }
    async function claimOne(leaseMs = 30_000) {
      const [job] = await store.claimJobs({ workerId: "w", limit: 1, leaseMs });
      if (!job) throw new Error("nothing to claim");
      return job;
    }

    it("creates queued jobs and reads them back per tenant only", async () => {
      const job = await created();
      expect(job).toMatchObject({ status: "queued", attempt: 0, maxAttempts: 3, input: { value: 1 }, metadata: { k: "v" }, progress: null, version: 1, cancelRequested: false });
      expect(await store.getJob("acme", job.id)).toEqual(job);
      expect(await store.getJob("globex", job.id)).toBeUndefined();
    });

    it("answers reads asked at once each with its own tenant's job (a store may batch them)", async () => {
      const acme = await created();
      const globex = await created({ tenant: "globex" });
      const reads = await Promise.all([
        store.getJob("acme", acme.id),
        store.getJob("globex", globex.id),
        store.getJob("globex", acme.id),
        store.getJob("acme", globex.id),
        store.getJob("acme", "job_none"),
        store.getJob("acme", acme.id),
      ]);
      expect(reads).toEqual([acme, globex, undefined, undefined, undefined, acme]);
    });

    it("answers a status read with the text of the job's current version, per tenant only", async () => {
      const job = await created();
      const textOf = (j: StoredJob) => ({ version: j.version, status: j.status, text: JSON.stringify(toJob(j)), estimate: estimatedEnd(j) });
      expect(await store.readJobText("acme", job.id)).toEqual(textOf(job));
      // The text is built now; another tenant still learns nothing of the job.
      expect(await store.readJobText("globex", job.id)).toBeUndefined();
      expect(await store.readJobText("acme", "job_none")).toBeUndefined();
      const running = await claimOne();
      expect(await store.readJobText("acme", job.id)).toEqual(textOf(running));
      await store.reportProgress(leaseOf(running), 30, "a third");
      const progressed = (await store.getJob("acme", job.id))!;
      expect(await store.readJobText("acme", job.id)).toEqual(textOf(progressed));
      // Progress on the first attempt dates the job's end: its reads' Retry-After (decision 0025).
      expect((await store.readJobText("acme", job.id))!.estimate).not.toBeNull();
      expect(JSON.parse((await store.readJobText("acme", job.id))!.text)).toMatchObject({ status: "running", progress: { percent: 30, message: "a third" } });
    });

    it("stores idempotency keys with the job: replay, reuse, per tenant", async () => {
      const key = { key: "k", fingerprint: "f1", ttlMs: 86_400_000 };
      const first = await store.createJob(command({ idempotency: key }));
      expect(first.kind).toBe("created");
      const again = await store.createJob(command({ idempotency: key }));
      expect(again).toMatchObject({ kind: "replayed", job: { id: (first as { job: StoredJob }).job.id } });
      expect(await store.createJob(command({ idempotency: { ...key, fingerprint: "f2" } }))).toEqual({ kind: "key_reused" });
      expect((await store.createJob(command({ tenant: "globex", idempotency: key }))).kind).toBe("created");
      expect(await store.findIdempotencyKey("acme", "k")).toEqual({ fingerprint: "f1", jobId: (first as { job: StoredJob }).job.id });
      expect(await store.findIdempotencyKey("acme", "other")).toBeUndefined();
    });

    it("answers concurrent key lookups each with its own key, per tenant (one batch on Postgres)", async () => {
      const made = await Promise.all(
        ["a", "b", "c"].map((key, i) => store.createJob(command({ input: { i }, idempotency: { key: `lookup-${key}`, fingerprint: `f-${key}`, ttlMs: 86_400_000 } }))),
      );
      const ids = made.map((o) => (o as { job: StoredJob }).job.id);
      await store.createJob(command({ idempotency: { key: "lookup-expired", fingerprint: "f-x", ttlMs: 1 } }));
      await new Promise((r) => setTimeout(r, 20));
      const found = await Promise.all([
        store.findIdempotencyKey("acme", "lookup-expired"),
        store.findIdempotencyKey("acme", "lookup-c"),
        store.findIdempotencyKey("globex", "lookup-a"),
        store.findIdempotencyKey("acme", "lookup-missing"),
        store.findIdempotencyKey("acme", "lookup-a"),
        store.findIdempotencyKey("acme", "lookup-b"),
      ]);
      expect(found).toEqual([
        undefined,
        { fingerprint: "f-c", jobId: ids[2] },
        undefined,
        undefined,
        { fingerprint: "f-a", jobId: ids[0] },
        { fingerprint: "f-b", jobId: ids[1] },
      ]);
    });

    it("commits concurrent creates (group commit) with distinct ids", async () => {
      const outcomes = await Promise.all(Array.from({ length: 50 }, (_, i) => store.createJob(command({ input: { i } }))));
      const ids = new Set(outcomes.map((o) => (o as { job: StoredJob }).job.id));
      expect(ids.size).toBe(50);
      expect(await store.listJobs({ tenant: "acme", limit: 100 })).toHaveLength(50);
    });

    it("lists newest first, with filters and a keyset bound", async () => {
      const jobs = [];
      for (let i = 0; i < 5; i++) jobs.push(await created({ type: i % 2 ? "a.b" : "conformance.echo" }));
      await store.requestCancel("acme", jobs[0]!.id);
      const all = await store.listJobs({ tenant: "acme", limit: 10 });
      expect(all.map((j) => j.id)).toEqual(jobs.map((j) => j.id).reverse());
      const page = await store.listJobs({ tenant: "acme", limit: 2, beforeId: jobs[3]!.id });
      expect(page.map((j) => j.id)).toEqual([jobs[2]!.id, jobs[1]!.id]);
      expect((await store.listJobs({ tenant: "acme", limit: 10, type: "a.b" })).map((j) => j.id)).toEqual([jobs[3]!.id, jobs[1]!.id]);
      expect((await store.listJobs({ tenant: "acme", limit: 10, statuses: ["canceled"] })).map((j) => j.id)).toEqual([jobs[0]!.id]);
      expect(await store.listJobs({ tenant: "globex", limit: 10 })).toEqual([]);
    });

    it("claims oldest first, each job once, growing attempt and version", async () => {
      const a = await created();
      const b = await created();
      const claimed = await Promise.all([store.claimJobs({ workerId: "w1", limit: 1, leaseMs: 1000 }), store.claimJobs({ workerId: "w2", limit: 5, leaseMs: 1000 })]);
      const ids = claimed.flat().map((j) => j.id);
      expect(ids.sort()).toEqual([a.id, b.id].sort());
      expect(claimed[0]![0]!.id).toBe(a.id);
      const running = claimed.flat()[0]!;
      expect(running).toMatchObject({ status: "running", attempt: 1, progress: null, version: 2 });
      expect(running.startedAt).not.toBeNull();
      expect(await store.claimJobs({ workerId: "w3", limit: 5, leaseMs: 1000 })).toEqual([]);
    });

    it("keeps progress monotonic within an attempt and ignores a lost lease", async () => {
      await created();
      const job = await claimOne();
      expect(await store.reportProgress(leaseOf(job), 40, "a")).toBe(true);
      expect(await store.reportProgress(leaseOf(job), 20, "b")).toBe(false);
      expect(await store.reportProgress({ id: job.id, leaseToken: "stolen" }, 90, null)).toBe(false);
      const read = await store.getJob("acme", job.id);
      expect(read!.progress).toEqual({ percent: 40, message: "a" });
      expect(read!.version).toBe(job.version + 1);
    });

    it("completes once: terminal jobs never change again", async () => {
      await created();
      const job = await claimOne();
      expect(await store.completeJob(leaseOf(job), { value: 1 })).toBe(true);
      expect(await store.completeJob(leaseOf(job), { value: 2 })).toBe(false);
      expect(await store.failJob(leaseOf(job), problem)).toBe(false);
      expect(await store.cancelRunningJob(leaseOf(job))).toBe(false);
      const done = await store.getJob("acme", job.id);
      expect(done).toMatchObject({ status: "succeeded", result: { value: 1 }, leaseToken: null });
      expect(done!.completedAt).not.toBeNull();
      expect((await store.requestCancel("acme", job.id)).kind).toBe("terminal");
    });

    it("keeps a job's trace context and hands it to the claim and to its webhook events (spec §8.6)", async () => {
      const trace = { traceparent: "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01", tracestate: "vendor=x" };
      const traced = await created({ webhookUrl: "https://example.net/hook", trace });
      expect(traced.trace).toEqual(trace);
      expect((await created()).trace).toBeNull();
      const job = await claimOne();
      expect(job.trace).toEqual(trace);
      await store.completeJob(leaseOf(job), { ok: true });
      const [event] = await store.claimDueEvents({ limit: 10, leaseMs: 60_000 });
      expect(event).toMatchObject({ jobId: traced.id, trace });
    });

    it("writes the webhook event in the same transaction as the terminal state", async () => {
      await created({ webhookUrl: "https://example.net/hook" });
      const job = await claimOne();
      expect(await store.claimDueEvents({ limit: 10, leaseMs: 1000 })).toEqual([]);
      await store.failJob(leaseOf(job), problem);
      const [event] = await store.claimDueEvents({ limit: 10, leaseMs: 60_000 });
      expect(event).toMatchObject({ jobId: job.id, tenant: "acme", type: "job.failed", url: "https://example.net/hook", attempts: 1 });
      expect(JSON.parse(event!.payload)).toMatchObject({ type: "job.failed", data: { id: job.id, status: "failed", error: { code: "boom" } } });
      // Claimed events are hidden from other deliverers while in flight.
      expect(await store.claimDueEvents({ limit: 10, leaseMs: 1000 })).toEqual([]);
      const at = Date.now();
      await store.recordDelivery({ eventId: event!.id, attempt: 1, statusCode: 500, error: null, at, nextAttemptAt: at, state: "pending" });
      const [retry] = await store.claimDueEvents({ limit: 10, leaseMs: 1000, now: at + 1 });
      expect(retry).toMatchObject({ id: event!.id, attempts: 2, payload: event!.payload });
      await store.recordDelivery({ eventId: event!.id, attempt: 2, statusCode: 200, error: null, at: at + 1, nextAttemptAt: null, state: "delivered" });
      expect(await store.claimDueEvents({ limit: 10, leaseMs: 1000, now: at + 10_000_000 })).toEqual([]);
      const deliveries = await store.listDeliveries("acme", job.id);
      expect(deliveries!.map((d) => [d.attempt, d.statusCode, d.state])).toEqual([[1, 500, "pending"], [2, 200, "delivered"]]);
      expect(await store.listDeliveries("globex", job.id)).toBeUndefined();
    });

    it("stores webhook.events, writes lifecycle events only while the lease holds and filters the terminal one (spec §3.1.1)", async () => {
      const { webhookEvents } = await created({ webhookUrl: "https://example.net/hook", webhookEvents: ["job.started", "job.progress"] });
      expect(webhookEvents).toEqual(["job.started", "job.progress"]);
      const job = await claimOne();
      expect(job.webhookEvents).toEqual(["job.started", "job.progress"]);
      expect(await store.enqueueLifecycleEvent(leaseOf(job), "job.started")).toBe(true);
      await store.reportProgress(leaseOf(job), 50, "half");
      expect(await store.enqueueLifecycleEvent(leaseOf(job), "job.progress")).toBe(true);
      await store.completeJob(leaseOf(job), { ok: true }); // job.succeeded not chosen: no event
      expect(await store.enqueueLifecycleEvent(leaseOf(job), "job.progress")).toBe(false);
      const events = (await store.claimDueEvents({ limit: 10, leaseMs: 60_000 })).map((e) => JSON.parse(e.payload));
      expect(events.map((e) => [e.type, e.data.status, e.data.progress?.percent ?? null]).sort()).toEqual([
        ["job.progress", "running", 50],
        ["job.started", "running", null],
      ]);
      // A job without a webhook gets none.
      await created();
      expect(await store.enqueueLifecycleEvent(leaseOf(await claimOne()), "job.started")).toBe(false);
    });

    it("requeues retryable failures until attempts run out, then attempts_exhausted", async () => {
      await created({ maxAttempts: 2 });
      let job = await claimOne();
      const later = Date.now() + 60_000;
      expect(await store.failJob(leaseOf(job), problem, later)).toBe(true);
      expect(await store.getJob("acme", job.id)).toMatchObject({ status: "queued", attempt: 1, runAt: later });
      expect(await store.claimJobs({ workerId: "w", limit: 1, leaseMs: 1000 })).toEqual([]);
      [job] = (await store.claimJobs({ workerId: "w", limit: 1, leaseMs: 1000, now: later })) as [StoredJob];
      expect(job).toMatchObject({ attempt: 2, progress: null });
      await store.failJob(leaseOf(job), problem, later);
      expect(await store.getJob("acme", job.id)).toMatchObject({ status: "failed", error: { code: "attempts_exhausted" } });
    });

    it("recovers lost leases: back to queued, then attempts_exhausted; heartbeats report it", async () => {
      await created({ maxAttempts: 2 });
      let job = await claimOne(1000);
      const lease = leaseOf(job);
      expect((await store.heartbeat([lease], 1000)).get(job.id)).toEqual({ state: "held", cancelRequested: false });
      expect(await store.recoverExpiredLeases(Date.now() + 5000)).toBe(1);
      expect(await store.getJob("acme", job.id)).toMatchObject({ status: "queued", attempt: 1 });
      expect((await store.heartbeat([lease], 1000)).get(job.id)!.state).toBe("lost");
      expect(await store.completeJob(lease, 1)).toBe(false);
      job = await claimOne(1000);
      expect(await store.recoverExpiredLeases(Date.now() + 5000)).toBe(1);
      expect(await store.getJob("acme", job.id)).toMatchObject({ status: "failed", attempt: 2, error: { code: "attempts_exhausted" } });
    });

    it("cancels queued jobs at once and asks running ones", async () => {
      const queued = await created();
      expect(await store.requestCancel("acme", queued.id)).toMatchObject({ kind: "canceled", job: { status: "canceled" } });
      expect((await store.requestCancel("acme", queued.id)).kind).toBe("already_canceled");
      expect((await store.requestCancel("globex", queued.id)).kind).toBe("not_found");
      await created();
      const running = await claimOne();
      expect(await store.requestCancel("acme", running.id)).toMatchObject({ kind: "cancel_requested", job: { status: "running", cancelRequested: true } });
      expect((await store.heartbeat([leaseOf(running)], 1000)).get(running.id)).toEqual({ state: "held", cancelRequested: true });
      expect(await store.cancelRunningJob(leaseOf(running))).toBe(true);
      expect(await store.getJob("acme", running.id)).toMatchObject({ status: "canceled" });
    });

    it("ends a cancel-requested job canceled when its attempt fails retryably or its lease is lost (I-12)", async () => {
      await created();
      await created();
      const [failing, lost] = await store.claimJobs({ workerId: "w", limit: 2, leaseMs: 1000 });
      await store.requestCancel("acme", failing!.id);
      await store.requestCancel("acme", lost!.id);
      expect(await store.failJob(leaseOf(failing!), problem, Date.now() + 60_000)).toBe(true);
      expect(await store.getJob("acme", failing!.id)).toMatchObject({ status: "canceled" });
      expect(await store.recoverExpiredLeases(Date.now() + 5000)).toBe(1);
      expect(await store.getJob("acme", lost!.id)).toMatchObject({ status: "canceled" });
    });

    it("never runs more than maxRunningPerTenant jobs of one tenant: another tenant's job is claimed past them", async () => {
      const fair = await open({ maxRunningPerTenant: 2 });
      const make = async (tenant: string) => {
        const outcome = await fair.createJob(command({ tenant }));
        return (outcome as { job: StoredJob }).job;
      };
      const a = [await make("a"), await make("a"), await make("a"), await make("a")];
      const b = await make("b");
      const first = await fair.claimJobs({ workerId: "w", limit: 16, leaseMs: 30_000 });
      expect(first.map((j) => j.id)).toEqual([a[0]!.id, a[1]!.id, b.id]);
      expect(await fair.claimJobs({ workerId: "w", limit: 16, leaseMs: 30_000 })).toEqual([]);
      await fair.completeJob(leaseOf(first[0]!), null);
      expect((await fair.claimJobs({ workerId: "w", limit: 16, leaseMs: 30_000 })).map((j) => j.id)).toEqual([a[2]!.id]);
    });

    it("retention: purges ended jobs past their lifetime with their events and deliveries, and spent keys", async () => {
      let clock = 1_800_000_000_000;
      const swept = await open({ now: () => clock });
      const make = async (overrides: Partial<CreateJobCommand>) => ((await swept.createJob(command(overrides))) as { job: StoredJob }).job;
      const ended = await make({ webhookUrl: "https://example.net/hook", idempotency: { key: "k", fingerprint: "f", ttlMs: 1000 } });
      const [claimed] = await swept.claimJobs({ workerId: "w", limit: 1, leaseMs: 30_000 });
      await swept.failJob(leaseOf(claimed!), problem);
      const [event] = await swept.claimDueEvents({ limit: 1, leaseMs: 1000 });
      await swept.recordDelivery({ eventId: event!.id, attempt: 1, statusCode: 500, error: null, at: clock, nextAttemptAt: clock + 1, state: "pending" });
      const queued = await make({});
      clock += 2000;
      expect(await swept.purgeExpired({ now: clock, jobsEndedBefore: clock - 10_000, limit: 100 })).toEqual({ jobs: 0, keys: 1 });
      expect(await swept.getJob("acme", ended.id)).toMatchObject({ status: "failed" });
      expect(await swept.purgeExpired({ now: clock, jobsEndedBefore: clock, limit: 100 })).toEqual({ jobs: 1, keys: 0 });
      expect(await swept.getJob("acme", ended.id)).toBeUndefined();
      expect(await swept.listDeliveries("acme", ended.id)).toBeUndefined();
      expect(await swept.claimDueEvents({ limit: 10, leaseMs: 1000, now: clock + 60_000 })).toEqual([]);
      // Queued and running jobs have no end: never purged, however old.
      expect(await swept.purgeExpired({ now: clock, jobsEndedBefore: clock + 1e12, limit: 100 })).toEqual({ jobs: 0, keys: 0 });
      expect(await swept.getJob("acme", queued.id)).toMatchObject({ status: "queued" });
    });

    it("releases a job on drain without counting the attempt", async () => {
      await created();
      const job = await claimOne();
      expect(await store.releaseJob(leaseOf(job))).toBe(true);
      expect(await store.getJob("acme", job.id)).toMatchObject({ status: "queued", attempt: 0, leaseToken: null });
    });

    it("announces every change on its notifier", async () => {
      const job = await created();
      const seen: string[] = [];
      const stop = store.changes.onJob(job.id, () => seen.push("x"));
      const claimed = await claimOne();
      await store.reportProgress(leaseOf(claimed), 10, null);
      await store.completeJob(leaseOf(claimed), null);
      stop();
      expect(seen.length).toBeGreaterThanOrEqual(3);
    });
  });
}
