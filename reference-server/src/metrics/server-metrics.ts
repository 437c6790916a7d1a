import { Counter, Gauge, Histogram, Registry } from "prom-client";
import type { QueueStat } from "../store/job-store.ts";

/** How a job's attempt ended, as counted. `retry`: failed retryably, queued again. */
export type JobOutcome = "succeeded" | "failed" | "canceled" | "retry";

/**
 * The server's Prometheus metrics (`--metrics`, `GET /metrics`). Each method is the one-line hook
 * of one place in the server; every process counts what it did itself, so sums across processes
 * are right. Queue depth is read from the store at scrape time (the same in every process).
 *
 * @example
 * const metrics = createServerMetrics({ queueStats: () => store.queueStats!() });
 * metrics.jobSubmitted("file.gzip"); const text = await metrics.render();
 */
export interface ServerMetrics {
  readonly contentType: string;
  jobSubmitted(type: string): void;
  jobFinished(type: string, outcome: JobOutcome, runSeconds: number | null): void;
  leaseExpiries(count: number): void;
  webhookDelivery(outcome: "delivered" | "failed" | "retry", attempt: number): void;
  uploadCompleted(bytes: number): void;
  httpRequest(method: string, route: string, status: number): void;
  /** The Prometheus text exposition of every metric. */
  render(): Promise<string>;
}

/**
 * Creates the metrics on their own registry (several servers in one process stay apart).
 *
 * @example
 * const metrics = createServerMetrics({ queueStats: async () => [], now: Date.now });
 */
export function createServerMetrics(options: { queueStats?: () => Promise<QueueStat[]>; now?: () => number } = {}): ServerMetrics {
  const now = options.now ?? Date.now;
  const registry = new Registry();
  const registers = [registry];
  const submitted = new Counter({ name: "async_jobs_jobs_submitted_total", help: "Jobs created by submits (idempotent replays not counted)", labelNames: ["type"], registers });
  const finished = new Counter({
    name: "async_jobs_job_attempts_finished_total",
    help: "Job attempts ended by this process's worker, by outcome (retry: failed retryably and queued again)",
    labelNames: ["type", "outcome"],
    registers,
  });
  const runDuration = new Histogram({
    name: "async_jobs_job_run_duration_seconds",
    help: "Duration of job attempts from claim to end",
    labelNames: ["type", "outcome"],
    buckets: [0.01, 0.05, 0.1, 0.5, 1, 5, 15, 60, 300, 1800],
    registers,
  });
  const leaseExpiries = new Counter({ name: "async_jobs_lease_expiries_total", help: "Running jobs whose lease expired (worker lost) and were recovered", registers });
  const deliveries = new Counter({
    name: "async_jobs_webhook_deliveries_total",
    help: "Webhook delivery attempts by outcome (retry: failed, another attempt scheduled) and attempt number",
    labelNames: ["outcome", "attempt"],
    registers,
  });
  const uploadBytes = new Counter({ name: "async_jobs_upload_bytes_total", help: "Bytes of completed uploads", registers });
  const uploads = new Counter({ name: "async_jobs_uploads_completed_total", help: "Completed uploads", registers });
  const requests = new Counter({
    name: "async_jobs_http_requests_total",
    help: "HTTP requests by method, route template and status",
    labelNames: ["method", "route", "status"],
    registers,
  });
  const queueStats = options.queueStats;
  new Gauge({
    name: "async_jobs_queue_depth",
    help: "Queued jobs by type (from the store at scrape time)",
    labelNames: ["type"],
    registers,
    async collect() {
      this.reset();
      for (const stat of (await queueStats?.()) ?? []) this.set({ type: stat.type }, stat.queued);
    },
  });
  new Gauge({
    name: "async_jobs_queue_oldest_age_seconds",
    help: "Age of the oldest queued job by type (from the store at scrape time)",
    labelNames: ["type"],
    registers,
    async collect() {
      this.reset();
      for (const stat of (await queueStats?.()) ?? []) this.set({ type: stat.type }, Math.max(0, (now() - stat.oldestCreatedAt) / 1000));
    },
  });

  return {
    contentType: registry.contentType,
    jobSubmitted: (type) => submitted.inc({ type }),
    jobFinished(type, outcome, runSeconds) {
      finished.inc({ type, outcome });
      if (runSeconds !== null) runDuration.observe({ type, outcome }, runSeconds);
    },
    leaseExpiries: (count) => count > 0 && leaseExpiries.inc(count),
    webhookDelivery: (outcome, attempt) => deliveries.inc({ outcome, attempt: String(attempt) }),
    uploadCompleted(bytes) {
      uploads.inc();
      uploadBytes.inc(bytes);
    },
    httpRequest: (method, route, status) => requests.inc({ method, route, status: String(status) }),
    render: () => registry.metrics(),
  };
}
