import type { KyInstance } from "ky";
import { AsyncJobsError, NetworkError } from "../errors.ts";
import type { RetryPolicy } from "../internal/retry-policy.ts";
import { send } from "../internal/send.ts";
import { toApiError } from "../internal/to-api-error.ts";
import type { Part } from "../types.ts";
import { redact } from "./fetch-part-transport.ts";
import type { PartBody } from "./part-source.ts";
import type { PartTransport } from "./part-transport.ts";

/** A part with a signed URL to send it to. */
export type SignedPart = Part & { url: string };

/** How a part is retried: the client's one policy, through the client's ky engine. */
export interface PartRetryOptions {
  /** Retries after the first attempt (the policy decides which outcomes and how long). */
  retries: number;
  /**
   * An attempt whose bytes stop moving this long is abandoned (as a `NetworkError`) and retried:
   * a connection that hangs without a reset. Only transports that report progress are watched.
   */
  stallTimeoutMs: number;
  /** The client's retry policy (spec §6.2), shared with API calls and the waiter. */
  policy: RetryPolicy;
  /** The client's ky instance, so its hooks see part PUTs too. */
  engine: KyInstance;
}

/** Renewals of a refused URL per part before giving up (a server that keeps refusing is broken). */
const maxRenewals = 3;

/**
 * PUTs one part to its signed URL and resolves with its `ETag` (quotes included, as the
 * contract wants it back at complete). Retries go through the client's ky engine and policy,
 * like every API call (a PUT of the same bytes is idempotent); `403 url_expired` /
 * `invalid_signature` renews the URL through `renew` and sends again at once (within the
 * attempt: the same URL would be refused again); any other final answer throws its
 * `ApiError`. Abort rejects with `signal.reason` at once, mid-body.
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
  // ky sees a body-less request; the part's bytes go through the transport on every attempt.
  const sendOnce = async (attempt: Request): Promise<Response> => {
    for (;;) {
      const response = await watched(part.url, attempt.signal, retry.stallTimeoutMs, (attemptSignal, onProgress) =>
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
      if (response.status !== 403 || renewals >= maxRenewals) return response;
      const code = ((await response.clone().json().catch(() => undefined)) as { code?: unknown } | undefined)?.code;
      // A refused URL is renewed, not retried as is. A part URL on an object store's origin is
      // refused with the store's own 403 (S3: an XML AccessDenied), not a problem: refused too (spec §4.3).
      if (typeof code === "string" && code !== "url_expired" && code !== "invalid_signature") return response;
      await response.body?.cancel().catch(() => {});
      renewals += 1;
      part = await renew(part.number);
    }
  };
  const response = await send(retry.engine, new Request(redact(part.url), { method: part.method ?? "PUT" }), {
    policy: retry.policy,
    limit: retry.retries,
    fetch: sendOnce,
    timeoutMs: false, // a part's time is bounded by the stall watch, not by its size
    signal,
  });
  if (!response.ok) throw await toApiError(response, await readProblem(response), retry.policy.clock.now(), part.url);
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

