import type { RetryOptions } from "../client/client-options.ts";
import { NetworkError } from "../errors.ts";
import { isReplayable, networkRetryDelay, retryableStatuses, retryDelayFor } from "./retry-policy.ts";
import { sleep } from "./sleep.ts";

/** How one call is sent. */
export interface AttemptPolicy {
  /** The `fetch` that actually sends (the client's). */
  fetch: typeof fetch;
  /** Per-attempt timeout; `false` for none. */
  timeoutMs: number | false;
  /** Retry settings; `limit: 0` sends once. */
  retry: Required<RetryOptions>;
  /** Overrides the method rule (GET/HEAD, or a POST with an `Idempotency-Key`). */
  idempotent?: boolean | undefined;
}

/**
 * A `fetch` for openapi-fetch that sends each attempt with its own timeout and retries by the
 * contract's rules (spec §6). It resolves with the last answer (2xx or not: openapi-fetch
 * and `toApiError` read it), rejects with `NetworkError` when no answer came, and with the
 * signal's reason when the caller aborted. Each attempt sends a clone of the original request,
 * so every retry carries the same bytes and headers (the same `Idempotency-Key`).
 *
 * Why not ky (the first choice): ky 1.14 is ~4.5 KB min+gzip on its own and would put
 * `async-jobs/jobs` over its 8 KB budget; the policy we need (Retry-After over backoff, 409 by
 * problem code, POST only with a key) had to be written as ky hooks anyway. This loop is the
 * same policy in ~1 KB, see docs/sdk.md "Transport".
 *
 * @example
 * const api = createOpenApiClient<paths>({ baseUrl, fetch: createRetryingFetch(policy) })
 */
export function createRetryingFetch(policy: AttemptPolicy): (request: Request) => Promise<Response> {
  return async (request) => {
    const limit = isReplayable(request, policy.idempotent) ? policy.retry.limit : 0;
    const signal = request.signal;
    for (let retry = 0; ; retry++) {
      let response: Response;
      try {
        response = await attempt(policy, request, retry < limit);
      } catch (error) {
        if (signal.aborted) throw signal.reason;
        if (retry >= limit) throw error;
        await sleep(networkRetryDelay(retry + 1, policy.retry), signal);
        continue;
      }
      if (retry >= limit || !retryableStatuses.has(response.status)) return response;
      const delay = await retryDelayFor(response, retry + 1, policy.retry);
      if (delay === undefined) return response;
      // The body of an answer we drop would keep the connection busy.
      void response.body?.cancel().catch(() => undefined);
      await sleep(delay, signal);
    }
  };
}

/** One attempt, aborted after the per-attempt timeout or with the caller's signal. */
async function attempt(policy: AttemptPolicy, request: Request, keepOriginal: boolean): Promise<Response> {
  const controller = new AbortController();
  const onAbort = () => controller.abort(request.signal.reason);
  request.signal.addEventListener("abort", onAbort, { once: true });
  let timedOut = false;
  const timer =
    policy.timeoutMs === false
      ? undefined
      : setTimeout(() => {
          timedOut = true;
          controller.abort();
        }, policy.timeoutMs);
  try {
    // A clone while retries remain: the original's body must stay unread for the next attempt.
    const source = keepOriginal ? request.clone() : request;
    return await policy.fetch(new Request(source, { signal: controller.signal }));
  } catch (error) {
    if (request.signal.aborted) throw request.signal.reason;
    throw new NetworkError(
      timedOut
        ? `${request.method} ${request.url}: no answer within ${policy.timeoutMs} ms`
        : `${request.method} ${request.url}: ${(error as Error)?.message ?? String(error)}`,
      { cause: error },
    );
  } finally {
    clearTimeout(timer);
    request.signal.removeEventListener("abort", onAbort);
  }
}
