import type { JobStore } from "../store/job-store.ts";
import type { ServerMetrics } from "./server-metrics.ts";

/**
 * The job store seen through metrics: submits, attempt ends (by type and outcome, with their
 * run time), lease recoveries and webhook deliveries are counted where they are written, so no
 * hot path changes and nothing is counted twice across processes.
 *
 * @example
 * const store = config.metrics ? instrumentJobStore(rawStore, metrics) : rawStore;
 */
export function instrumentJobStore(store: JobStore, metrics: ServerMetrics): JobStore {
  // Claimed jobs of this process: the type and claim time an attempt's end is counted under.
  const claimed = new Map<string, { type: string; at: number }>();
  const ended = (id: string, outcome: Parameters<ServerMetrics["jobFinished"]>[1]) => {
    const job = claimed.get(id);
    claimed.delete(id);
    if (job) metrics.jobFinished(job.type, outcome, (Date.now() - job.at) / 1000);
  };
  return Object.assign(Object.create(store) as JobStore, {
    async createJob(command: Parameters<JobStore["createJob"]>[0]) {
      const outcome = await store.createJob(command);
      if (outcome.kind === "created") metrics.jobSubmitted(command.type);
      return outcome;
    },
    async claimJobs(options: Parameters<JobStore["claimJobs"]>[0]) {
      const jobs = await store.claimJobs(options);
      for (const job of jobs) claimed.set(job.id, { type: job.type, at: Date.now() });
      return jobs;
    },
    async completeJob(lease: Parameters<JobStore["completeJob"]>[0], result: unknown) {
      const done = await store.completeJob(lease, result);
      if (done) ended(lease.id, "succeeded");
      return done;
    },
    async failJob(lease: Parameters<JobStore["failJob"]>[0], error: Parameters<JobStore["failJob"]>[1], retryAt?: number) {
      const done = await store.failJob(lease, error, retryAt);
      if (done) ended(lease.id, retryAt === undefined ? "failed" : "retry");
      return done;
    },
    async cancelRunningJob(lease: Parameters<JobStore["cancelRunningJob"]>[0]) {
      const done = await store.cancelRunningJob(lease);
      if (done) ended(lease.id, "canceled");
      return done;
    },
    async releaseJob(lease: Parameters<JobStore["releaseJob"]>[0]) {
      claimed.delete(lease.id);
      return store.releaseJob(lease);
    },
    async recoverExpiredLeases(at?: number) {
      const count = await store.recoverExpiredLeases(at);
      metrics.leaseExpiries(count);
      return count;
    },
    async recordDelivery(record: Parameters<JobStore["recordDelivery"]>[0]) {
      await store.recordDelivery(record);
      const outcome = record.state === "delivered" ? "delivered" : record.state === "failed" ? "failed" : "retry";
      metrics.webhookDelivery(outcome, record.attempt);
    },
  });
}
