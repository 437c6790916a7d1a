/**
 * How long the server asked us to wait, in milliseconds, or `undefined` when it did not say.
 * Reads `retry-after-ms` first (OpenAI-style, sub-second), then `Retry-After` as seconds or an
 * HTTP date (RFC 9110 §10.2.3; spec §1 says servers send seconds, proxies may send dates).
 *
 * @example
 * parseRetryAfter(new Headers({ "retry-after": "2" })) // 2000
 */
export function parseRetryAfter(headers: Headers, now: number = Date.now()): number | undefined {
  const ms = headers.get("retry-after-ms");
  if (ms !== null && /^\s*\d+(\.\d+)?\s*$/.test(ms)) return Number(ms);
  const value = headers.get("retry-after");
  if (value === null) return undefined;
  if (/^\s*\d+\s*$/.test(value)) return Number(value) * 1000;
  const date = Date.parse(value);
  // A date in the past means "now"; garbage means "the server did not say".
  return Number.isNaN(date) ? undefined : Math.max(0, date - now);
}
