import { NetworkError } from "../errors.ts";
import { bodyBytes, type PartTransport } from "./part-transport.ts";

/**
 * Sends parts with `fetch` (the client's, so injected fetches and msw see them). fetch cannot
 * report upload progress, so a part's bytes count when its answer arrives.
 *
 * @example
 * const transport = createFetchPartTransport(globalThis.fetch)
 */
export function createFetchPartTransport(fetchFn: typeof fetch): PartTransport {
  return async ({ url, method, headers, body, signal, onBytesSent }) => {
    const payload = await bodyBytes(body);
    let response: Response;
    try {
      response = await fetchFn(url, { method, headers, body: payload as BodyInit, signal });
    } catch (error) {
      if (signal.aborted) throw signal.reason;
      throw new NetworkError(`${method} ${redact(url)}: ${(error as Error)?.message ?? String(error)}`, { cause: error });
    }
    if (response.ok) onBytesSent?.(payload instanceof Uint8Array ? payload.byteLength : payload.size);
    return response;
  };
}

/**
 * A signed URL without its query (the signature), for error messages and logs.
 *
 * @example
 * redact("http://h/v1/uploads/u/parts/1?signature=x") // "http://h/v1/uploads/u/parts/1"
 */
export function redact(url: string): string {
  const at = url.indexOf("?");
  return at === -1 ? url : url.slice(0, at);
}
