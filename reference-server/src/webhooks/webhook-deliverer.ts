import type { JobStore, OutboxEvent } from "../store/job-store.ts";
import { createHostBackoff, type HostBackoff, nextAttemptAt, retryAfterMs } from "./delivery-schedule.ts";
import { contextOfTrace, traceContextOfSpan, traceHeaders } from "../tracing/trace-context.ts";
import { inSpan } from "../tracing/tracer.ts";
import { DeliveryError, postWebhook, type WebhookAnswer } from "./post-webhook.ts";
import { signWebhook } from "./sign-webhook.ts";
import { createInFlight } from "../in-flight.ts";
import { createRerunLoop } from "../rerun-loop.ts";
import { defaultServerConfig } from "../config.ts";
import type { ResolveHost } from "./webhook-url-guard.ts";

/** The reference retry schedule (spec §3): delays before attempt 1, 2, … */
export const DEFAULT_WEBHOOK_SCHEDULE_MS: readonly number[] = defaultServerConfig.webhookScheduleMs;

export interface WebhookDelivererOptions {
  store: JobStore;
  /** The tenant's signing secrets (`whsec_…`), newest first; several while rotating. */
  secretsFor: (tenant: string) => readonly string[] | Promise<readonly string[]>;
  /** Delay before each attempt; its length is the number of attempts. @default DEFAULT_WEBHOOK_SCHEDULE_MS */
  scheduleMs?: readonly number[];
  /** An answer slower than this counts as no answer. @default 15000 */
  timeoutMs?: number;
  /** Events delivered at once. @default 16 */
  concurrency?: number;
  /** Events of one tenant delivered at once: a tenant's slow receiver cannot take every slot. @default 4 */
  tenantConcurrency?: number;
  /** Poll of the outbox for scheduled retries (new events in this process wake it at once). @default 100 */
  pollMs?: number;
  /** Deliver to private, loopback and link-local addresses too (`--allow-private-webhooks`). @default false */
  allowPrivate?: boolean;
  /** Host resolution, checked at every attempt (tests inject it). */
  resolveHost?: ResolveHost;
  /**
   * Per-host backoff of hosts that keep failing.
   * @default left alone for the schedule's first retry delay, doubling up to its longest (10 min at most)
   */
  hostBackoff?: HostBackoff;
  now?: () => number;
  random?: () => number;
  log?: (message: string, error?: unknown) => void;
}

/** A running deliverer; `stop` waits for the deliveries in flight. */
export interface WebhookDeliverer {
  stop(): Promise<void>;
}

/**
 * Delivers the durable outbox (spec §3): Standard Webhooks signed POSTs with the same
 * `webhook-id` on every retry; `2xx` within the timeout is success, `410` stops, anything else
 * is retried on the schedule (with jitter, and no sooner than a `429`/`503` receiver's
 * `Retry-After`) until it runs out (then the event is `failed`). Every attempt re-checks the
 * host's addresses and connects to the ones checked. Every attempt is recorded for
 * `GET /v1/jobs/{id}/deliveries`, with a coarse error when there was no answer.
 *
 * Fairness: at most `tenantConcurrency` events of one tenant are in flight (its backlog is not
 * even claimed past that), and a host that keeps failing is left alone for a growing while.
 *
 * @example
 * const deliverer = startWebhookDeliverer({ store, secretsFor: () => ["whsec_…"], scheduleMs: [0, 50, 200] });
 */
export function startWebhookDeliverer(options: WebhookDelivererOptions): WebhookDeliverer {
  const { store } = options;
  const schedule = options.scheduleMs ?? DEFAULT_WEBHOOK_SCHEDULE_MS;
  const timeoutMs = options.timeoutMs ?? 15_000;
  const concurrency = options.concurrency ?? 16;
  const tenantConcurrency = Math.min(options.tenantConcurrency ?? 4, concurrency);
  // Scaled to the schedule: a failing host is retried no more often than one event would be.
  const hosts = options.hostBackoff ?? createHostBackoff({ baseMs: schedule[1] ?? 0, maxMs: Math.min(600_000, Math.max(0, ...schedule)) });
  const now = options.now ?? Date.now;
  const random = options.random ?? Math.random;
  const log = options.log ?? (() => {});
  const inFlight = new Set<Promise<void>>();
  const jobTurns = new Map<string, Promise<void>>();
  const perTenant = new Map<string, number>();
  let stopped = false;
  const claims = createInFlight();

  const tick = createRerunLoop(
    async () => {
      const free = concurrency - inFlight.size;
      if (stopped || free <= 0) return false;
      const full = [...perTenant].filter(([, n]) => n >= tenantConcurrency).map(([tenant]) => tenant);
      // No more than one tenant's slots per claim: little is claimed only to be given back.
      const limit = Math.min(free, tenantConcurrency);
      // Hidden from other deliverers for longer than one attempt can take.
      const events = await store.claimDueEvents({ limit, leaseMs: timeoutMs + 15_000, skipTenants: full });
      const deferred: Promise<void>[] = [];
      // Oldest first (ids grow with time; a claim's RETURNING has no order), for the per-job order below.
      events.sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
      for (const event of events) {
        const host = hostOf(event.url);
        const backoffUntil = hosts.until(host);
        if ((perTenant.get(event.tenant) ?? 0) >= tenantConcurrency || backoffUntil > now()) {
          // Claimed past the tenant's slots, or for a host left alone: back, unattempted.
          deferred.push(store.deferEvent(event.id, Math.max(backoffUntil, now())));
          continue;
        }
        perTenant.set(event.tenant, (perTenant.get(event.tenant) ?? 0) + 1);
        // A job's events go out one after the other, as claimed (oldest first): its job.started
        // or job.progress is answered before its terminal event is sent (spec §3.1.1).
        const before = jobTurns.get(event.jobId);
        const p: Promise<void> = (before ? before.then(() => deliver(event, host)) : deliver(event, host)).finally(() => {
          if (jobTurns.get(event.jobId) === p) jobTurns.delete(event.jobId);
          inFlight.delete(p);
          const left = (perTenant.get(event.tenant) ?? 1) - 1;
          if (left > 0) perTenant.set(event.tenant, left);
          else perTenant.delete(event.tenant);
          if (!stopped) void tick();
        });
        inFlight.add(p);
        jobTurns.set(event.jobId, p);
      }
      await Promise.all(deferred);
      return events.length === limit;
    },
    { stopped: () => stopped, inFlight: claims, onError: (error) => log("outbox claim failed", error) },
  );

  async function deliver(event: OutboxEvent, host: string) {
    const at = now();
    let answer: WebhookAnswer | undefined;
    let error: string | null = null;
    try {
      const secrets = await options.secretsFor(event.tenant);
      const headers = await signWebhook({ id: event.id, timestamp: Math.floor(at / 1000), body: event.payload }, [...secrets]);
      // In the job's trace, and carrying it to the receiver (spec §8.6).
      answer = await inSpan("async-jobs webhook", contextOfTrace(event.trace), async (span) => {
        const trace = traceHeaders(traceContextOfSpan(span, event.trace));
        const sent = await postWebhook(
          event.url,
          event.payload,
          { "content-type": "application/json", "user-agent": "async-jobs-server", ...headers, ...trace },
          { timeoutMs, allowPrivate: options.allowPrivate ?? false, resolve: options.resolveHost },
        );
        span.setAttribute("http.response.status_code", sent.status);
        return sent;
      }, { "async_jobs.event_type": event.type, "async_jobs.job_id": event.jobId, "async_jobs.attempt": event.attempts });
    } catch (e) {
      error = e instanceof DeliveryError ? e.code : "internal";
      if (!(e instanceof DeliveryError)) log(`delivery of ${event.id} failed`, e);
    }
    const statusCode = answer?.status ?? null;
    const delivered = statusCode !== null && statusCode >= 200 && statusCode < 300;
    const gone = statusCode === 410;
    // A host is failing when it gives no answer or a server-side one; a 4xx is the receiver's word.
    if (error !== null || (statusCode !== null && (statusCode >= 500 || statusCode === 429))) hosts.failed(host, now());
    else hosts.succeeded(host);
    const asked = statusCode === 429 || statusCode === 503 ? retryAfterMs(answer?.headers["retry-after"], now()) : undefined;
    const next =
      delivered || gone
        ? null
        : nextAttemptAt({ schedule, attempts: event.attempts, now: now(), retryAfterMs: asked, hostBackoffUntil: hosts.until(host), random });
    try {
      await store.recordDelivery({
        eventId: event.id,
        attempt: event.attempts,
        statusCode,
        error,
        at,
        nextAttemptAt: next,
        state: delivered ? "delivered" : next === null ? "failed" : "pending",
      });
    } catch (e) {
      log(`could not record delivery of ${event.id}`, e);
    }
  }

  const unsubscribe = store.changes.onAny((change) => {
    if (change.kind === "outbox" || change.kind === "external") void tick();
  });
  const timer = setInterval(() => void tick(), options.pollMs ?? 100);
  timer.unref();
  void tick();

  return {
    async stop() {
      stopped = true;
      unsubscribe();
      clearInterval(timer);
      // A claim in flight still hands over its events: deliver them before the store closes.
      await claims.settled(5_000);
      await Promise.all(inFlight);
    },
  };
}

/** The host part of a webhook URL (lowercased by the URL parser), the unit of host backoff. */
function hostOf(url: string): string {
  try {
    return new URL(url).host;
  } catch {
    return url;
  }
}
