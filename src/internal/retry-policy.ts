import type { RetryOptions } from "../client/client-options.ts";
import { backoffDelay, fullJitter } from "./backoff.ts";
import { parseRetryAfter } from "./retry-after.ts";

/** Statuses that may be retried (spec §6); 409 only with code `idempotency_key_in_use`. */
export const retryableStatuses: ReadonlySet<number> = new Set([408, 409, 429, 502, 503, 504]);

/**
 * Whether a request may be sent again at all: GET/HEAD always; other methods only when the
 * caller says the request is idempotent (a POST with an `Idempotency-Key`, a PUT of a part).
 *
 * @example
 * isReplayable(new Request(url, { method: "POST" }), undefined) // false
 */
export function isReplayable(request: Request, idempotent: boolean | undefined): boolean {
  if (idempotent !== undefined) return idempotent;
  return request.method === "GET" || request.method === "HEAD" || request.headers.has("idempotency-key");
}

/**
 * The delay before retry number `retry` (1 = first retry) of an answer, or `undefined` when it
 * must not be retried. The server's `Retry-After` wins over backoff; one longer than
 * `maxRetryAfterMs` is surfaced instead of slept on.
 *
 * @example
 * await retryDelayFor(response, 1, defaultClientOptions.retry) // e.g. 2000 for Retry-After: 2
 */
export async function retryDelayFor(
  response: Response,
  retry: number,
  options: Required<RetryOptions>,
  random: () => number = Math.random,
): Promise<number | undefined> {
  if (!retryableStatuses.has(response.status)) return undefined;
  if (response.status === 409) {
    // Only "the first request with this key is still running" is transient; other 409s are final.
    const body = (await response.clone().json().catch(() => undefined)) as { code?: unknown } | undefined;
    if (body?.code !== "idempotency_key_in_use") return undefined;
  }
  const after = parseRetryAfter(response.headers);
  if (after !== undefined) return after > options.maxRetryAfterMs ? undefined : after;
  return networkRetryDelay(retry, options, random);
}

/**
 * The delay before retry number `retry` after a network error or timeout: exponential from
 * `initialDelayMs`, doubling, capped at `maxDelayMs`, with full jitter.
 *
 * @example
 * networkRetryDelay(1, defaultClientOptions.retry) // in [0, 500)
 */
export function networkRetryDelay(retry: number, options: Required<RetryOptions>, random: () => number = Math.random): number {
  return fullJitter(backoffDelay(retry - 1, { initialMs: options.initialDelayMs, factor: 2, maxMs: options.maxDelayMs }), random);
}
