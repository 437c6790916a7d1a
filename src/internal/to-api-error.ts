import { ApiError } from "../errors.ts";
import { parseRetryAfter } from "./retry-after.ts";

/**
 * The ONE place an error response becomes an `ApiError`. `body` is the response body
 * already read (parsed JSON or text); see `problemOf` for a body that is not a problem. The
 * parsers of problems and `RateLimit` load on the first error answer that ends a call: retries
 * read the status and `Retry-After` themselves (`retry-policy.ts`), so an app whose calls
 * succeed never loads them (decision 0012).
 *
 * @example
 * if (!response.ok) throw await toApiError(response, await response.json().catch(() => undefined))
 */
export async function toApiError(response: Response, body: unknown, now: number = Date.now(), requestUrl?: string): Promise<ApiError> {
  const { problemOf, parseRateLimit } = await import("./error-details.ts");
  return new ApiError({
    status: response.status,
    problem: problemOf(response, body, requestUrl),
    requestId: response.headers.get("x-request-id") ?? undefined,
    retryAfterMs: parseRetryAfter(response.headers, now), // `now` from the client's clock: an HTTP date reads the same everywhere
    rateLimit: parseRateLimit(response.headers),
  });
}
