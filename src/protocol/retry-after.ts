/**
 * Milliseconds until a `Retry-After` value says to come back, or undefined when it says
 * nothing usable. Servers send whole seconds (spec §1); proxies may send an HTTP date
 * (RFC 9110 §10.2.3), and a date in the past means now.
 *
 * @example
 * parseRetryAfter("2") // 2000
 * parseRetryAfter("Wed, 21 Oct 2026 07:28:00 GMT", Date.parse("Wed, 21 Oct 2026 07:27:00 GMT")) // 60000
 */
export function parseRetryAfter(value: string | null | undefined, now: number = Date.now()): number | undefined {
  if (value === null || value === undefined) return undefined;
  if (/^\s*\d+\s*$/.test(value)) return Number(value) * 1000;
  const date = Date.parse(value);
  return Number.isNaN(date) ? undefined : Math.max(0, date - now);
}

/**
 * A `Retry-After` value in whole seconds (spec §1), rounded up so a client never comes back early.
 *
 * @example
 * formatRetryAfter(1.2) // "2"
 */
export function formatRetryAfter(seconds: number): string {
  return String(Math.max(0, Math.ceil(seconds)));
}
