import type { Transport, ApiClient } from "./transport.ts";
import { transportOf } from "./transport.ts";
import { isReplayable } from "./retry-policy.ts";
import { toApiError } from "./to-api-error.ts";
import { send } from "./send.ts";

/** Anything that carries a transport: `BaseClient`, `AsyncJobsClient`. */
export interface HasTransport {
  readonly "~transport": Transport;
}

/** Per-call options of `request`. */
export interface RequestOptions {
  /** Aborts the call, the in-flight attempt and any backoff sleep; rejects with `signal.reason`. */
  signal?: AbortSignal | undefined;
  /** `false` sends exactly once whatever the answer. @default true */
  retry?: boolean | undefined;
  /**
   * Whether the request may be replayed. Default: GET/HEAD yes; other methods only when they
   * carry an `Idempotency-Key`. Set `true` for requests that are idempotent by nature (a `PUT`
   * of an upload part, `POST /v1/uploads/{id}/complete` with the same parts), `false` to forbid.
   */
  idempotent?: boolean | undefined;
  /** Per-attempt timeout override (e.g. a long poll adds its wait). @default the client's `timeoutMs` */
  timeoutMs?: number | false | undefined;
  /** Extra headers for this call. */
  headers?: Record<string, string> | undefined;
}

/** What `request` hands the operation: spread it into the typed call's init. */
export type CallInit = {
  fetch: (request: Request) => Promise<Response>;
  headers: Record<string, string>;
  signal?: AbortSignal;
};

/** What a typed call resolves with. */
type OpResult<D> = { data?: D; error?: unknown; response: Response };

/**
 * Calls one operation of the generated `paths` through the client's transport and returns its
 * data, or throws `ApiError` (any non-2xx answer, after retries) or `NetworkError` (no answer);
 * an abort rejects with `signal.reason`. The operation is a closure over the typed API client, so
 * path, params, body and result are all typed from `openapi.yaml`.
 *
 * How `uploadFile(client, …)` (src/uploads) calls it:
 *
 * ```ts
 * import { request } from "../internal/request.ts";
 * const { data: upload } = await request(client, (api, init) =>
 *   api.POST("/v1/uploads", { ...init, body: { filename, content_type, size } }),
 *   { signal },             // a POST without Idempotency-Key is not retried (spec §6)
 * );
 * await request(client, (api, init) =>
 *   api.POST("/v1/uploads/{id}/complete", { ...init, params: { path: { id } }, body: { parts } }),
 *   { signal, idempotent: true }, // completing twice with the same parts is 200: safe to retry
 * );
 * // Signed part URLs are not operations of `paths` and carry no bearer token: they go through
 * // the upload's PartTransport instead.
 * ```
 *
 * @example
 * const { data: job, response } = await request(client, (api, init) =>
 *   api.GET("/v1/jobs/{id}", { ...init, params: { path: { id } } }))
 */
export function request<D>(
  client: HasTransport,
  op: (api: ApiClient, init: CallInit) => Promise<OpResult<D>>,
  options?: RequestOptions & { allowNotModified?: false },
): Promise<{ data: D; response: Response }>;
/** With `allowNotModified`, a `304` resolves with `data: undefined` instead of throwing. */
export function request<D>(
  client: HasTransport,
  op: (api: ApiClient, init: CallInit) => Promise<OpResult<D>>,
  options: RequestOptions & { allowNotModified: true },
): Promise<{ data: D | undefined; response: Response }>;
export async function request<D>(
  client: HasTransport,
  op: (api: ApiClient, init: CallInit) => Promise<OpResult<D>>,
  options: RequestOptions & { allowNotModified?: boolean } = {},
): Promise<{ data: D | undefined; response: Response }> {
  const transport = transportOf(client);
  const headers: Record<string, string> = { ...options.headers };
  const token = await transport.options.getToken?.();
  if (token) headers.authorization = `Bearer ${token}`;
  // The URL asked, for an error answer's origin: an injected fetch's Response may not carry one.
  let asked: string | undefined;
  const send = fetchFor(transport, options);
  const init: CallInit = { fetch: (req) => ((asked = req.url), send(req)), headers };
  if (options.signal) init.signal = options.signal;
  const { data, error, response } = await op(transport.api, init);
  transport.onResponse?.(response);
  if (response.ok) return { data: data as D, response };
  if (response.status === 304 && options.allowNotModified) return { data: undefined, response };
  throw await toApiError(response, error, transport.options.retry.clock.now(), asked);
}

function fetchFor(transport: Transport, options: RequestOptions): (request: Request) => Promise<Response> {
  const { retry, timeoutMs, fetch } = transport.options;
  return (request) =>
    send(transport.engine, request, {
      policy: retry,
      limit: options.retry === false || !isReplayable(request, options.idempotent) ? 0 : retry.limit,
      fetch,
      timeoutMs: options.timeoutMs ?? timeoutMs,
      signal: options.signal,
    });
}
