/** The longest a receiver's `Retry-After` may push one attempt back. */
export const MAX_RETRY_AFTER_MS = 86_400_000;

/**
 * Seconds of a `Retry-After` value (delta-seconds or an HTTP-date), or `undefined` when absent
 * or unreadable.
 *
 * @example
 * retryAfterMs("120", 0); // 120000
 */
export function retryAfterMs(value: string | string[] | undefined, now: number): number | undefined {
  const text = Array.isArray(value) ? value[0] : value;
  if (text === undefined) return undefined;
  if (/^\s*\d+\s*$/.test(text)) return Number(text) * 1000;
  const date = Date.parse(text);
  return Number.isNaN(date) ? undefined : Math.max(0, date - now);
}

/**
 * When the next attempt of an event goes out, `null` when none does (spec §3): the schedule's
 * delay for this attempt with ±20 % jitter (many events failing together do not retry in step),
 * never earlier than a `429`/`503` receiver's `Retry-After` (capped at a day) nor than the end
 * of its host's backoff.
 *
 * @example
 * nextAttemptAt({ schedule: [0, 5000], attempts: 1, now: 0, random: () => 0.5 }); // 5000
 */
export function nextAttemptAt(input: {
  schedule: readonly number[];
  /** Attempts made so far, the one just made included. */
  attempts: number;
  now: number;
  /** The receiver's `Retry-After` when it answered `429` or `503`. */
  retryAfterMs?: number;
  /** End of the host's backoff. */
  hostBackoffUntil?: number;
  random?: () => number;
}): number | null {
  const { schedule, attempts, now } = input;
  if (attempts >= schedule.length) return null;
  const base = schedule[attempts]!;
  const jittered = base * (0.8 + 0.4 * (input.random ?? Math.random)());
  const receiverAsked = Math.min(input.retryAfterMs ?? 0, MAX_RETRY_AFTER_MS);
  return Math.max(now + Math.round(Math.max(jittered, receiverAsked)), input.hostBackoffUntil ?? 0);
}

/** Consecutive failures per host, and how long to leave a failing host alone. */
export interface HostBackoff {
  /** Until when new attempts to `host` wait (0 when they need not). */
  until(host: string): number;
  failed(host: string, now: number): void;
  succeeded(host: string): void;
}

/**
 * Per-host backoff: after `threshold` failures in a row (no answer, or `5xx`/`429`) a host is
 * left alone for `baseMs`, doubling per further failure up to `maxMs`, so that one dead or
 * tar-pit receiver does not hold delivery slots on every one of its events.
 *
 * @example
 * const hosts = createHostBackoff();
 * hosts.failed("hooks.example.com", Date.now());
 */
export function createHostBackoff(options: { threshold?: number; baseMs?: number; maxMs?: number; random?: () => number } = {}): HostBackoff {
  const threshold = options.threshold ?? 3;
  const baseMs = options.baseMs ?? 5_000;
  const maxMs = options.maxMs ?? 600_000;
  const random = options.random ?? Math.random;
  const hosts = new Map<string, { failures: number; until: number }>();
  return {
    until: (host) => hosts.get(host)?.until ?? 0,
    failed(host, now) {
      const entry = hosts.get(host) ?? { failures: 0, until: 0 };
      entry.failures += 1;
      if (entry.failures >= threshold) {
        const delay = Math.min(maxMs, baseMs * 2 ** (entry.failures - threshold));
        entry.until = now + Math.round(delay * (0.5 + 0.5 * random()));
      }
      hosts.delete(host); // re-insert: the map stays ordered oldest first for the trim below
      hosts.set(host, entry);
      if (hosts.size > 10_000) hosts.delete(hosts.keys().next().value!);
    },
    succeeded: (host) => void hosts.delete(host),
  };
}
