import { parseRetryAfter as parseRetryAfterValue } from "../protocol/retry-after.ts";

/**
 * How long the server asked us to wait, in milliseconds, or `undefined` when it did not say.
 * Reads `retry-after-ms` first (OpenAI-style, sub-second), then `Retry-After` (seconds or an
 * HTTP date, grammar in src/protocol; spec §1).
 *
 * @example
 * parseRetryAfter(new Headers({ "retry-after": "2" })) // 2000
 */
export function parseRetryAfter(headers: Headers, now: number = Date.now()): number | undefined {
  const ms = headers.get("retry-after-ms");
  if (ms !== null && /^\s*\d+(\.\d+)?\s*$/.test(ms)) return Number(ms);
  return parseRetryAfterValue(headers.get("retry-after"), now);
}
