/** One request and its answer (or network error), masked, as shown in reports. */
export interface RecordedExchange {
  readonly seq: number;
  readonly method: string;
  readonly url: string;
  readonly requestHeaders: Record<string, string>;
  readonly requestBody: string | undefined;
  status: number | undefined;
  responseHeaders: Record<string, string>;
  responseBody: string | undefined;
  error: string | undefined;
  readonly startedAt: string;
  durationMs: number;
}

/** The answer a check inspects. */
export interface HttpResponse {
  readonly status: number;
  readonly headers: Headers;
  readonly bytes: Uint8Array;
  readonly text: string;
  /** The parsed JSON body, or `undefined` when the body is not JSON. */
  readonly body: unknown;
  readonly exchange: RecordedExchange;
  readonly durationMs: number;
}

export interface RequestOptions {
  /** Bearer token; default the run's main token, `null` sends no Authorization. */
  token?: string | null;
  headers?: Record<string, string>;
  /** Serialized as JSON with `content-type: application/json` unless `rawBody` is given. */
  json?: unknown;
  rawBody?: string | Uint8Array;
  /** Per-request timeout before scaling; default 10 s. */
  timeoutMs?: number;
}

/** Raw HTTP for checks: every call is recorded; nothing is retried (spec §6 is the client's job). */
export interface HttpClient {
  request(method: string, pathOrUrl: string, options?: RequestOptions): Promise<HttpResponse>;
  /** Every exchange so far, oldest first. */
  readonly exchanges: readonly RecordedExchange[];
}

export interface HttpRecorderOptions {
  baseUrl: string;
  token: string;
  /** Values replaced by `****` in everything recorded (tokens, webhook secret). */
  secrets: readonly string[];
  signal: AbortSignal;
  timeoutScale?: number;
  fetch?: typeof fetch;
}

const BODY_EXCERPT = 2_000;
const RELEVANT = /^(content-type|content-length|location|retry-after|etag|if-none-match|cache-control|prefer|preference-applied|idempotency-key|idempotent-replayed|x-request-id|www-authenticate|allow|authorization|range|content-range|accept-ranges|access-control-expose-headers|origin|webhook-id|webhook-timestamp|webhook-signature)$/i;

/**
 * Replaces every secret in `text` by `****`.
 *
 * @example
 * maskSecrets("Bearer abc", ["abc"]) // "Bearer ****"
 */
export function maskSecrets(text: string, secrets: readonly string[]): string {
  let out = text;
  for (const secret of secrets) {
    if (secret.length >= 4) out = out.split(secret).join("****");
  }
  return out;
}

function excerpt(text: string): string {
  return text.length > BODY_EXCERPT ? `${text.slice(0, BODY_EXCERPT)}… (${text.length} chars)` : text;
}

function pickHeaders(headers: Headers | Record<string, string>, secrets: readonly string[]) {
  const out: Record<string, string> = {};
  const entries = headers instanceof Headers ? [...headers.entries()] : Object.entries(headers);
  for (const [name, value] of entries) {
    if (RELEVANT.test(name)) out[name.toLowerCase()] = maskSecrets(value, secrets);
  }
  return out;
}

function describeError(error: unknown): string {
  if (error instanceof Error) {
    const cause = (error as { cause?: unknown }).cause;
    const causeText = cause instanceof Error ? `: ${cause.message}` : "";
    return `${error.name}: ${error.message}${causeText}`;
  }
  return String(error);
}

/**
 * Creates the recording HTTP client a check speaks through.
 *
 * @example
 * const http = createHttpRecorder({ baseUrl, token, secrets: [token], signal });
 * const res = await http.request("GET", "/v1/jobs");
 */
export function createHttpRecorder(options: HttpRecorderOptions): HttpClient {
  const exchanges: RecordedExchange[] = [];
  const doFetch = options.fetch ?? fetch;
  const scale = options.timeoutScale ?? 1;
  let seq = 0;
  return {
    exchanges,
    async request(method, pathOrUrl, opts = {}) {
      const url = /^https?:\/\//.test(pathOrUrl)
        ? pathOrUrl
        : `${options.baseUrl.replace(/\/+$/, "")}${pathOrUrl}`;
      const headers: Record<string, string> = { ...opts.headers };
      const token = opts.token === undefined ? options.token : opts.token;
      if (token !== null && !Object.keys(headers).some((h) => h.toLowerCase() === "authorization")) {
        headers.authorization = `Bearer ${token}`;
      }
      let body: string | Uint8Array | undefined;
      if (opts.rawBody !== undefined) body = opts.rawBody;
      else if (opts.json !== undefined) {
        body = JSON.stringify(opts.json);
        if (!Object.keys(headers).some((h) => h.toLowerCase() === "content-type")) {
          headers["content-type"] = "application/json";
        }
      }
      const secrets = options.secrets;
      const recordedHeaders = pickHeaders(headers, secrets);
      if (recordedHeaders.authorization) {
        recordedHeaders.authorization = recordedHeaders.authorization.replace(/^(\S+\s+).+$/, "$1****");
      }
      const exchange: RecordedExchange = {
        seq: ++seq,
        method,
        url: maskSecrets(url, secrets),
        requestHeaders: recordedHeaders,
        requestBody:
          body === undefined
            ? undefined
            : typeof body === "string"
              ? maskSecrets(excerpt(body), secrets)
              : `<${body.byteLength} bytes>`,
        status: undefined,
        responseHeaders: {},
        responseBody: undefined,
        error: undefined,
        startedAt: new Date().toISOString(),
        durationMs: 0,
      };
      exchanges.push(exchange);
      const started = performance.now();
      const timeout = AbortSignal.timeout(Math.round((opts.timeoutMs ?? 10_000) * scale));
      const signal = AbortSignal.any([options.signal, timeout]);
      try {
        const res = await doFetch(url, { method, headers, body: body as BodyInit | undefined, signal, redirect: "manual" });
        const bytes = new Uint8Array(await res.arrayBuffer());
        const durationMs = Math.round(performance.now() - started);
        const text = new TextDecoder().decode(bytes);
        let parsed: unknown;
        try {
          parsed = text.length > 0 ? JSON.parse(text) : undefined;
        } catch {
          parsed = undefined;
        }
        exchange.status = res.status;
        exchange.responseHeaders = pickHeaders(res.headers, secrets);
        const type = res.headers.get("content-type") ?? "";
        exchange.responseBody =
          /json|text|yaml/i.test(type) || bytes.byteLength === 0 || parsed !== undefined
            ? maskSecrets(excerpt(text), secrets)
            : `<${bytes.byteLength} bytes>`;
        exchange.durationMs = durationMs;
        return { status: res.status, headers: res.headers, bytes, text, body: parsed, exchange, durationMs };
      } catch (error) {
        exchange.durationMs = Math.round(performance.now() - started);
        exchange.error = timeout.aborted ? `no answer within ${Math.round((opts.timeoutMs ?? 10_000) * scale)} ms` : describeError(error);
        throw new NetworkFailure(`${method} ${exchange.url}: ${exchange.error}`, exchange);
      }
    },
  };
}

/**
 * A request that got no HTTP answer (refused, reset, timed out); the runner fails the check with it.
 *
 * @example
 * if (error instanceof NetworkFailure) console.log(error.exchange.error);
 */
export class NetworkFailure extends Error {
  override readonly name = "NetworkFailure";
  constructor(
    message: string,
    readonly exchange: RecordedExchange,
  ) {
    super(message);
  }
}
