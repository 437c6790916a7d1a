import { getResponse, type RequestHandler } from "msw";

/** A `fetch` answered by msw handlers, for `ClientOptions.fetch`: no global interception. */
export interface HandlerFetch {
  /** Give it to the client: `createClient({ fetch: api.fetch, … })`. */
  fetch: typeof fetch;
  /** Prepends handlers (they win over earlier ones), like msw's `server.use`. */
  use(...handlers: RequestHandler[]): void;
  /** Drops every handler, like msw's `server.resetHandlers`. */
  resetHandlers(): void;
  /** Calls `listener` as each request starts, like msw's `server.events.on("request:start")`. */
  onRequest(listener: (request: Request) => void): () => void;
}

/**
 * msw handlers behind an injected `fetch`: the SDK under test gets it through
 * `ClientOptions.fetch` instead of a patched `globalThis.fetch`. It behaves like `fetch` where
 * the SDK can tell: `HttpResponse.error()` rejects with a `TypeError`, an abort rejects with the
 * signal's reason, a request no handler answers rejects (a test bug, not a network error).
 *
 * @example
 * const api = createHandlerFetch();
 * api.use(http.get(`${base}/v1/jobs/job_1`, () => HttpResponse.json(makeJob())));
 * const client = createClient({ baseUrl: base, token: "t", fetch: api.fetch });
 */
export function createHandlerFetch(): HandlerFetch {
  let handlers: RequestHandler[] = [];
  const listeners = new Set<(request: Request) => void>();
  const fetchFromHandlers = (input: RequestInfo | URL, init?: RequestInit): Promise<Response> => {
    const request = new Request(input, init);
    for (const listener of listeners) listener(request);
    const { signal } = request;
    if (signal.aborted) return Promise.reject(signal.reason);
    return new Promise<Response>((resolve, reject) => {
      const onAbort = () => reject(signal.reason);
      signal.addEventListener("abort", onAbort, { once: true });
      getResponse(handlers, request).then(
        (response) => {
          signal.removeEventListener("abort", onAbort);
          if (!response) reject(new Error(`No handler for ${request.method} ${request.url}`));
          else if (response.type === "error") reject(new TypeError("fetch failed"));
          else resolve(response);
        },
        (error: unknown) => {
          signal.removeEventListener("abort", onAbort);
          reject(error);
        },
      );
    });
  };
  return {
    fetch: fetchFromHandlers as typeof fetch,
    use: (...added) => void (handlers = [...added, ...handlers]),
    resetHandlers: () => void (handlers = []),
    onRequest(listener) {
      listeners.add(listener);
      return () => void listeners.delete(listener);
    },
  };
}
