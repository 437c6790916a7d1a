import { NetworkError } from "../errors.ts";
import { redact } from "./fetch-part-transport.ts";
import { bodyBytes, type PartTransport } from "./part-transport.ts";

/**
 * Sends parts with `XMLHttpRequest`, the one browser API that reports upload progress
 * (`xhr.upload.onprogress`), so the bar moves within a part. A `Blob` slice is streamed from
 * disk by the browser, never read into JavaScript memory. The `ETag` of the answer is readable
 * only when the server exposes it through CORS (spec §4).
 *
 * @example
 * const transport = createXhrPartTransport()
 */
export function createXhrPartTransport(): PartTransport {
  return async ({ url, method, headers, body, signal, onBytesSent }) => {
    signal.throwIfAborted();
    const payload = await bodyBytes(body);
    return new Promise<Response>((resolve, reject) => {
      const xhr = new XMLHttpRequest();
      const onAbort = () => xhr.abort();
      const settle = () => signal.removeEventListener("abort", onAbort);
      xhr.open(method, url);
      for (const [name, value] of Object.entries(headers)) xhr.setRequestHeader(name, value);
      xhr.responseType = "text";
      xhr.upload.onprogress = (event) => onBytesSent?.(event.loaded);
      xhr.onload = () => {
        settle();
        resolve(new Response(xhr.status === 204 ? null : xhr.responseText, { status: xhr.status, headers: parseHeaders(xhr.getAllResponseHeaders()) }));
      };
      xhr.onerror = () => {
        settle();
        reject(new NetworkError(`${method} ${redact(url)}: the request failed (network error or CORS)`));
      };
      xhr.ontimeout = xhr.onerror;
      xhr.onabort = () => {
        settle();
        reject(signal.reason);
      };
      signal.addEventListener("abort", onAbort, { once: true });
      xhr.send(payload as XMLHttpRequestBodyInit);
    });
  };
}

function parseHeaders(raw: string): Headers {
  const headers = new Headers();
  for (const line of raw.trim().split(/[\r\n]+/)) {
    const at = line.indexOf(":");
    if (at > 0) headers.append(line.slice(0, at).trim(), line.slice(at + 1).trim());
  }
  return headers;
}
