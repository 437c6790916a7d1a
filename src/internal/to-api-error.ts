import { ApiError } from "../errors.ts";
import type { Problem } from "../types.ts";
import { parseRateLimit } from "./rate-limit-headers.ts";
import { parseRetryAfter } from "./retry-after.ts";

/**
 * The ONE place an error response becomes an `ApiError` (STYLE §6). `body` is the response body
 * already read (parsed JSON or text); a body that is not a problem (a proxy's HTML page, an empty
 * 502) becomes a problem with code `internal` and the status, so callers can still branch on it.
 *
 * @example
 * if (!response.ok) throw toApiError(response, await response.json().catch(() => undefined))
 */
export function toApiError(response: Response, body: unknown): ApiError {
  const problem: Problem = isProblem(body)
    ? body
    : {
        type: "about:blank",
        title: response.statusText || `HTTP ${response.status}`,
        status: response.status,
        detail: typeof body === "string" && body ? body.slice(0, 500) : `HTTP ${response.status} without a problem body.`,
        code: "internal",
      };
  return new ApiError({
    status: response.status,
    problem,
    requestId: response.headers.get("x-request-id") ?? undefined,
    retryAfterMs: parseRetryAfter(response.headers),
    rateLimit: parseRateLimit(response.headers),
  });
}

function isProblem(body: unknown): body is Problem {
  return typeof body === "object" && body !== null && typeof (body as Problem).code === "string";
}
