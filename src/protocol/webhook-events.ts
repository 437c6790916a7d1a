import type { JobEventType } from "../types.ts";

/** The events a job's webhook gets when its `webhook.events` is absent: its end (spec §3.1.1). */
export const terminalEventTypes = ["job.succeeded", "job.failed", "job.canceled"] as const satisfies readonly JobEventType[];

/** Every webhook event type (spec §3.1, §3.1.1). */
export const webhookEventTypes = ["job.started", "job.progress", ...terminalEventTypes] as const satisfies readonly JobEventType[];

/**
 * Does a job whose `webhook.events` is `events` get events of `type`? Absent means the terminal
 * events only (spec §3.1.1), so jobs submitted before the field existed are served as before.
 *
 * @example
 * sendsWebhookEvent(["job.started", "job.succeeded"], "job.failed") // false
 */
export function sendsWebhookEvent(events: readonly string[] | null | undefined, type: JobEventType): boolean {
  return (events ?? terminalEventTypes).includes(type);
}

/**
 * The least gap between two `job.progress` events of one job (spec §3.1.1): a server throttles
 * them to at most one per interval of its choosing, never shorter than this.
 */
export const minProgressEventIntervalMs = 1_000;

/**
 * When may the next `job.progress` event of a job be created, given when the last one was
 * (`undefined`: none yet)? At once, or at the end of the interval (spec §3.1.1: at most one per
 * interval, carrying the newest progress, so the caller sends what is current at that moment).
 *
 * @example
 * nextProgressEventAt({ lastAt: 10_000, now: 12_000, intervalMs: 5_000 }) // 15_000
 */
export function nextProgressEventAt(state: { lastAt: number | undefined; now: number; intervalMs: number }): number {
  const interval = Math.max(state.intervalMs, minProgressEventIntervalMs);
  return state.lastAt === undefined ? state.now : Math.max(state.now, state.lastAt + interval);
}
