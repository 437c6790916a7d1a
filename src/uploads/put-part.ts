import pRetry from "p-retry";
import { type ApiError, AsyncJobsError, isApiError, isNetworkError, NetworkError } from "../errors.ts";
import { sleep } from "../internal/sleep.ts";
import { toApiError } from "../internal/to-api-error.ts";
import type { Part } from "../types.ts";
import { redact } from "./fetch-part-transport.ts";
import type { PartBody } from "./part-source.ts";
import type { PartTransport } from "./part-transport.ts";

/** A part with a signed URL to send it to. */
export type SignedPart = Part & { url: string };

/** How a part is retried. */
export interface PartRetryOptions {
  /** Retries after the first attempt, on network errors and `5xx`/`408`/`429`. */
  retries: number;
  /** Backoff before the first retry (doubling, randomized). */
  minDelayMs: number;
  /** Cap of the backoff. */
  maxDelayMs: number;
  /**
   * An attempt whose bytes stop moving this long is abandoned (as a `NetworkError`) and retried:
   * a connection that hangs without a reset. Only transports that report progress are watched.
   */
  stallTimeoutMs: number;
  /** A `Retry-After` up to this long is waited out before the next attempt; a longer one is not. */
  maxRetryAfterMs: number;
}

/** Renewals of a refused URL per part before giving up (a server that keeps refusing is broken). */
const maxRenewals = 3;

/**
 * PUTs one part to its signed URL and resolves with its `ETag` (quotes included, as the
 * contract wants it back at complete). Network errors and `5xx` are retried with backoff
 * (p-retry); `403 url_expired` / `invalid_signature` renews the URL through `renew` and sends
 * again at once; any other `4xx` throws its `ApiError`. Abort rejects with `signal.reason` at
 * once, mid-body.
 *
 * @example
 * const etag = await putPart({ transport, part, body: file.slice(0, part.size), signal, renew, retry })
 */
export async function putPart(init: {
  transport: PartTransport;
  part: SignedPart;
  body: PartBody;
  signal: AbortSignal;
  renew: (number: number) => Promise<SignedPart>;
  retry: PartRetryOptions;
  onBytesSent?: ((bytes: number) => void) | undefined;
}): Promise<string> {
  const { transport, body, signal, renew, retry, onBytesSent } = init;
  let part = init.part;
  let renewals = 0;
  return pRetry(
    async () => {
      for (;;) {
        const response = await watched(part.url, signal, retry.stallTimeoutMs, (attemptSignal, onProgress) =>
          transport({
            url: part.url,
            method: part.method ?? "PUT",
            headers: part.headers ?? {},
            body,
            signal: attemptSignal,
            onBytesSent: (bytes) => {
              onProgress();
              onBytesSent?.(bytes);
            },
          }),
        );
        if (response.ok) {
          const etag = response.headers.get("etag");
          await response.body?.cancel().catch(() => {});
          if (!etag) {
            throw new AsyncJobsError(
              `PUT ${redact(part.url)} answered ${response.status} without an ETag header; ` +
                "a browser sees it only when the server sends Access-Control-Expose-Headers: ETag",
            );
          }
          return etag;
        }
        const error = toApiError(response, await readProblem(response), part.url);
        // A refused URL is renewed, not retried as is: the same URL would be refused again.
        if (response.status === 403 && (error.code === "url_expired" || error.code === "invalid_signature") && renewals < maxRenewals) {
          renewals += 1;
          part = await renew(part.number);
          continue;
        }
        throw error;
      }
    },
    {
      retries: retry.retries,
      minTimeout: retry.minDelayMs,
      maxTimeout: retry.maxDelayMs,
      randomize: true,
      signal,
      // The server's Retry-After (a 503 or 429 from the part endpoint) is honoured before backoff.
      onFailedAttempt: async ({ error, retriesLeft }) => {
        const after = isApiError(error) ? (error as ApiError).retryAfterMs : undefined;
        if (retriesLeft > 0 && after !== undefined && after <= retry.maxRetryAfterMs && isRetryableStatus((error as ApiError).status)) {
          await sleep(after, signal);
        }
      },
      shouldRetry: ({ error }) => isNetworkError(error) || (isApiError(error) && isRetryableStatus((error as ApiError).status)),
    },
  );
}

/**
 * Whether a part PUT answered with this status is worth sending again (spec §6 and the
 * issue: network errors and `5xx`, plus `408` and `429`).
 *
 * @example
 * isRetryableStatus(503) // true
 */
export function isRetryableStatus(status: number): boolean {
  return status >= 500 || status === 408 || status === 429;
}

/** Runs one send with its own signal, aborted when the caller aborts or progress stalls. */
async function watched(
  url: string,
  signal: AbortSignal,
  stallTimeoutMs: number,
  send: (signal: AbortSignal, onProgress: () => void) => Promise<Response>,
): Promise<Response> {
  const attempt = new AbortController();
  const onAbort = () => attempt.abort(signal.reason);
  signal.addEventListener("abort", onAbort, { once: true });
  let timer: ReturnType<typeof setTimeout> | undefined;
  // Armed by the first progress report, so a transport that reports none is never cut off.
  const onProgress = () => {
    clearTimeout(timer);
    timer = setTimeout(
      () => attempt.abort(new NetworkError(`PUT ${redact(url)}: no progress for ${stallTimeoutMs} ms`)),
      stallTimeoutMs,
    );
  };
  try {
    return await send(attempt.signal, onProgress);
  } catch (error) {
    if (signal.aborted) throw signal.reason;
    throw error;
  } finally {
    clearTimeout(timer);
    signal.removeEventListener("abort", onAbort);
  }
}

async function readProblem(response: Response): Promise<unknown> {
  const text = await response.text().catch(() => "");
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return text;
  }
}

