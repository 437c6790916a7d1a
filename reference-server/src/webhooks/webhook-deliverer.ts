import type { JobStore, OutboxEvent } from "../store/job-store.ts";
import { signWebhook } from "./sign-webhook.ts";
import { createInFlight } from "../in-flight.ts";
import { defaultServerConfig } from "../config.ts";

/** The reference retry schedule (spec §3): delays before attempt 1, 2, … */
export const DEFAULT_WEBHOOK_SCHEDULE_MS: readonly number[] = defaultServerConfig.webhookScheduleMs;

export interface WebhookDelivererOptions {
  store: JobStore;
  /** The tenant's signing secrets (`whsec_…`), newest first; several while rotating. */
  secretsFor: (tenant: string) => readonly string[];
  /** Delay before each attempt; its length is the number of attempts. @default DEFAULT_WEBHOOK_SCHEDULE_MS */
  scheduleMs?: readonly number[];
  /** An answer slower than this counts as no answer. @default 15000 */
  timeoutMs?: number;
  /** Events delivered at once. @default 16 */
  concurrency?: number;
  /** Poll of the outbox for scheduled retries (new events in this process wake it at once). @default 100 */
  pollMs?: number;
  fetch?: typeof fetch;
  now?: () => number;
  log?: (message: string, error?: unknown) => void;
}

/** A running deliverer; `stop` waits for the deliveries in flight. */
export interface WebhookDeliverer {
  stop(): Promise<void>;
}

/**
 * Delivers the durable outbox (spec §3): Standard Webhooks signed POSTs with the same
 * `webhook-id` on every retry; `2xx` within the timeout is success, `410` stops, anything else
 * is retried on the schedule until it runs out (then the event is `failed`). Every attempt is
 * recorded for `GET /v1/jobs/{id}/deliveries`.
 *
 * @example
 * const deliverer = startWebhookDeliverer({ store, secretsFor: () => ["whsec_…"], scheduleMs: [0, 50, 200] });
 */
export function startWebhookDeliverer(options: WebhookDelivererOptions): WebhookDeliverer {
  const { store } = options;
  const schedule = options.scheduleMs ?? DEFAULT_WEBHOOK_SCHEDULE_MS;
  const timeoutMs = options.timeoutMs ?? 15_000;
  const concurrency = options.concurrency ?? 16;
  const doFetch = options.fetch ?? fetch;
  const now = options.now ?? Date.now;
  const log = options.log ?? (() => {});
  const inFlight = new Set<Promise<void>>();
  let stopped = false;
  let ticking = false;
  let again = false;
  const claims = createInFlight();

  async function tick() {
    if (ticking) return void (again = true);
    ticking = true;
    const end = claims.begin();
    try {
      do {
        again = false;
        const free = concurrency - inFlight.size;
        if (stopped || free <= 0) break;
        // Hidden from other deliverers for longer than one attempt can take.
        const events = await store.claimDueEvents({ limit: free, leaseMs: timeoutMs + 15_000 });
        for (const event of events) {
          const p: Promise<void> = deliver(event).finally(() => {
            inFlight.delete(p);
            if (!stopped) void tick();
          });
          inFlight.add(p);
        }
        if (events.length === free) again = true;
      } while (again && !stopped);
    } catch (error) {
      log("outbox claim failed", error);
    } finally {
      ticking = false;
      end();
    }
  }

  async function deliver(event: OutboxEvent) {
    const at = now();
    let statusCode: number | null = null;
    let error: string | null = null;
    try {
      const headers = await signWebhook({ id: event.id, timestamp: Math.floor(at / 1000), body: event.payload }, [...options.secretsFor(event.tenant)]);
      const response = await doFetch(event.url, {
        method: "POST",
        headers: { "content-type": "application/json", "user-agent": "async-jobs-server", ...headers },
        body: event.payload,
        redirect: "manual",
        signal: AbortSignal.timeout(timeoutMs),
      });
      statusCode = response.status;
      await response.body?.cancel().catch(() => {});
    } catch (e) {
      error = e instanceof Error && e.name === "TimeoutError" ? `no answer within ${timeoutMs} ms` : describe(e);
    }
    const delivered = statusCode !== null && statusCode >= 200 && statusCode < 300;
    const gone = statusCode === 410;
    const next = !delivered && !gone && event.attempts < schedule.length ? now() + schedule[event.attempts]! : null;
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

function describe(error: unknown): string {
  if (error instanceof Error) {
    const cause = (error as { cause?: { code?: string; message?: string } }).cause;
    return cause?.code ?? cause?.message ?? error.message;
  }
  return String(error);
}
