import type { RetryOptions } from "../client/client-options.ts";
import { isApiError, isNetworkError } from "../errors.ts";
import { backoffDelay, fullJitter } from "./backoff.ts";
import { parseRetryAfter } from "./retry-after.ts";
import { sleep } from "./sleep.ts";

/** Statuses that may be retried (spec §6.2); 409 only with code `idempotency_key_in_use`. */
export const retryableStatuses: readonly number[] = [408, 409, 429, 502, 503, 504];

/**
 * Time as the retry policy sees it: injected by tests (no patched globals), real otherwise.
 *
 * @example
 * const clock: RetryClock = { now: () => t, random: () => 0.5, sleep: async (ms) => { t += ms } }
 */
export interface RetryClock {
  now(): number;
  random(): number;
  sleep(ms: number, signal?: AbortSignal): Promise<void>;
}

/** The real clock. */
export const systemClock: RetryClock = { now: () => Date.now(), random: () => Math.random(), sleep };

/**
 * THE retry policy of the SDK: API calls (through ky), part PUTs (through ky) and the waiter's
 * polls all decide with it, so they cannot disagree (spec §6.2).
 *
 * @example
 * const policy: RetryPolicy = { ...defaultClientOptions.retry, clock: systemClock }
 */
export interface RetryPolicy extends Required<RetryOptions> {
  clock: RetryClock;
}

/**
 * What a failed attempt amounts to: no answer (`status` undefined: network error, timeout), or
 * an answer's status, problem code and `Retry-After` in milliseconds.
 */
export type RetryOutcome = { status?: number | undefined; code?: string | undefined; retryAfterMs?: number | undefined };

/**
 * Whether a request may be sent again at all: GET/HEAD always; other methods only when the
 * caller says the request is idempotent (a PUT of a part) or it carries an `Idempotency-Key`.
 *
 * @example
 * isReplayable(new Request(url, { method: "POST" }), undefined) // false
 */
export function isReplayable(request: Request, idempotent: boolean | undefined): boolean {
  if (idempotent !== undefined) return idempotent;
  return request.method === "GET" || request.method === "HEAD" || request.headers.has("idempotency-key");
}

/**
 * The wait before retry number `retry` (1 = first) after `outcome`, or `undefined` when it must
 * not be retried. `Retry-After` wins over backoff; one longer than `maxRetryAfterMs` is surfaced
 * (the caller throws the answer) instead of slept on. Backoff: exponential from
 * `initialDelayMs`, doubling, capped at `maxDelayMs`, with full jitter.
 *
 * @example
 * retryDelay(policy, { status: 503, retryAfterMs: 2000 }, 1) // 2000
 * retryDelay(policy, { status: 500 }, 1) // undefined: a 500 is a bug, not a transient state
 */
export function retryDelay(policy: RetryPolicy, outcome: RetryOutcome, retry: number): number | undefined {
  if (outcome.status !== undefined) {
    if (!retryableStatuses.includes(outcome.status)) return undefined;
    // Only "the first request with this key is still running" is transient; other 409s are final.
    if (outcome.status === 409 && outcome.code !== "idempotency_key_in_use") return undefined;
    if (outcome.retryAfterMs !== undefined) {
      return outcome.retryAfterMs > policy.maxRetryAfterMs ? undefined : outcome.retryAfterMs;
    }
  }
  return backoff(policy, retry);
}

/**
 * The waiter's variant (spec §6.3): the same decision, except that a poll failing with any `5xx`
 * or with a `Retry-After` above the cap does not end a wait (its deadline does): it waits the
 * backoff, or the server's `Retry-After`.
 *
 * @example
 * waitRetryDelay(policy, { status: 500 }, 1) // backoff, where retryDelay says undefined
 */
export function waitRetryDelay(policy: RetryPolicy, outcome: RetryOutcome, retry: number): number | undefined {
  const delay = retryDelay(policy, outcome, retry);
  if (delay !== undefined || outcome.status === undefined) return delay;
  return isTransientStatus(outcome.status) ? outcome.retryAfterMs ?? backoff(policy, retry) : undefined;
}

/**
 * The statuses a wait or a watch outlasts (spec §6.3): `408`, `429` and any `5xx`. Wider than
 * `retryDelay` for one call (a `500` ends a call, not a wait).
 *
 * @example
 * isTransientStatus(500) // true
 */
export function isTransientStatus(status: number): boolean {
  return status === 408 || status === 429 || status >= 500;
}

function backoff(policy: RetryPolicy, retry: number): number {
  const ms = backoffDelay(retry - 1, { initialMs: policy.initialDelayMs, factor: 2, maxMs: policy.maxDelayMs });
  return fullJitter(ms, policy.clock.random);
}

/**
 * Reads what a failed attempt amounts to: an `ApiError`, an answer (from ky's `HTTPError`)
 * whose body is read only for a `409`, or no answer (a `NetworkError`, a rejected `fetch`, a
 * timeout). Callers check their signal first: an abort is never retried.
 *
 * @example
 * await outcomeOf(error, policy.clock) // { status: 429, retryAfterMs: 2000 }
 */
export async function outcomeOf(error: unknown, clock: RetryClock): Promise<RetryOutcome | undefined> {
  if (isApiError(error)) return { status: error.status, code: error.code, retryAfterMs: error.retryAfterMs };
  const response = (error as { response?: unknown } | undefined)?.response;
  // fetch rejects with a TypeError when no answer came; ky's timeout is a TimeoutError.
  if (!(response instanceof Response)) return isNetworkError(error) || error instanceof TypeError || (error as Error)?.name === "TimeoutError" ? {} : undefined;
  const code =
    response.status === 409
      ? ((await response.clone().json().catch(() => undefined)) as { code?: string } | undefined)?.code
      : undefined;
  return { status: response.status, code, retryAfterMs: parseRetryAfter(response.headers, clock.now()) };
}
