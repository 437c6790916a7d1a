import type { Client } from "openapi-fetch";
import type { paths } from "../types.ts";

/**
 * The typed calls over the generated `paths`: openapi-fetch's types (path, params, body and
 * result all checked against `openapi.yaml`), with a runtime of our own that does only what the
 * SDK asks of it. openapi-fetch's runtime (middleware, serializer options, ~2 KB min+gzip) was
 * the largest piece of `async-jobs/jobs` that ky does not already do (decision 0012).
 */
export type ApiClient = Pick<Client<paths>, "GET" | "POST" | "PUT" | "DELETE">;

/** The subset of openapi-fetch's per-call options the SDK uses. */
interface CallOptions {
  params?: { path?: Record<string, unknown>; query?: Record<string, unknown>; header?: Record<string, unknown> };
  body?: unknown;
  headers?: Record<string, string>;
  parseAs?: "json" | "stream";
  fetch: (request: Request) => Promise<Response>;
  signal?: AbortSignal;
}

/**
 * Builds the typed client: `{name}` path segments percent-encoded, query values as
 * `key=value` (arrays repeated, `undefined` skipped), a JSON body with its content type, and the
 * answer read as openapi-fetch reads it (`data` on 2xx, else `error` as JSON or text).
 *
 * @example
 * const api = createApiClient("https://jobs.example.com", { "x-team": "a" })
 * const { data } = await api.GET("/v1/jobs/{id}", { params: { path: { id } }, fetch })
 */
export function createApiClient(baseUrl: string, defaultHeaders: Record<string, string>): ApiClient {
  const call = (method: string) => async (path: string, options: CallOptions) => {
    const { params = {}, body, parseAs = "json" } = options;
    const query = new URLSearchParams();
    for (const [key, value] of Object.entries(params.query ?? {})) {
      for (const item of [value].flat()) if (item != null) query.append(key, String(item));
    }
    const url = baseUrl + path.replace(/\{([^{}]+)\}/g, (_, name: string) => encodeURIComponent(String(params.path?.[name])));
    const headers = new Headers(body === undefined ? {} : { "content-type": "application/json" });
    for (const source of [defaultHeaders, options.headers, params.header]) {
      for (const [key, value] of Object.entries(source ?? {})) if (value != null) headers.set(key, String(value));
    }
    const init: RequestInit = { method, headers };
    if (body !== undefined) init.body = JSON.stringify(body);
    if (options.signal) init.signal = options.signal;
    const search = query.toString();
    const response = await options.fetch(new Request(search ? `${url}?${search}` : url, init));
    if (response.ok && parseAs === "stream") return { data: response.body, response };
    const text = await response.text();
    let parsed: unknown = text;
    try {
      // No body (204, 304, `Content-Length: 0`) is undefined, as in openapi-fetch.
      parsed = text ? JSON.parse(text) : undefined;
    } catch {
      // Not JSON (a proxy's page): the error keeps the text (`toApiError` quotes it).
    }
    return response.ok ? { data: parsed, response } : { error: parsed, response };
  };
  return { GET: call("GET"), POST: call("POST"), PUT: call("PUT"), DELETE: call("DELETE") } as unknown as ApiClient;
}
