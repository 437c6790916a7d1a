import ky, { isHTTPError } from "ky";
import type { RetryOptions } from "../client/client-options.ts";
import { NetworkError } from "../errors.ts";
import { isReplayable, networkRetryDelay, retryableStatuses, retryDelayFor } from "./retry-policy.ts";

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
 * A `fetch` for openapi-fetch: ky sends each attempt with its timeout and retries by the
 * contract's rules (CONTRACT §6). It resolves with the last answer (2xx or not: openapi-fetch
 * and `toApiError` read it), rejects with `NetworkError` when no answer came, and with the
 * signal's reason when the caller aborted. ky clones the request per attempt, so each retry
 * sends the same bytes and headers (the same `Idempotency-Key`).
 *
 * @example
 * const api = createOpenApiClient<paths>({ baseUrl, fetch: createRetryingFetch(policy) })
 */
export function createRetryingFetch(policy: AttemptPolicy): (request: Request) => Promise<Response> {
  return async (request) => {
    const replayable = isReplayable(request, policy.idempotent);
    // Filled by shouldRetry, read by ky's delay(): ky's delay() does not see the answer, and
    // the server's Retry-After must win over backoff.
    let nextDelay = 0;
    try {
      return await ky(request, {
        fetch: policy.fetch,
        timeout: policy.timeoutMs,
        // Only answers we might retry go through ky's retry path; the rest return at once.
        throwHttpErrors: (status) => retryableStatuses.has(status),
        retry: {
          limit: replayable ? policy.retry.limit : 0,
          methods: ["get", "head", "post", "put", "patch", "delete"],
          backoffLimit: Number.POSITIVE_INFINITY,
          delay: () => nextDelay,
          shouldRetry: async ({ error, retryCount }) => {
            if (request.signal.aborted) return false;
            const delay = isHTTPError(error)
              ? await retryDelayFor(error.response, retryCount, policy.retry)
              : networkRetryDelay(retryCount, policy.retry);
            if (delay === undefined) return false;
            nextDelay = delay;
            return true;
          },
        },
      });
    } catch (error) {
      if (isHTTPError(error)) return error.response;
      if (request.signal.aborted) throw request.signal.reason;
      const timedOut = (error as { name?: string }).name === "TimeoutError";
      throw new NetworkError(
        timedOut
          ? `${request.method} ${request.url}: no answer within ${policy.timeoutMs} ms`
          : `${request.method} ${request.url}: ${(error as Error)?.message ?? String(error)}`,
        { cause: error },
      );
    }
  };
}
