import type { PartBody, StreamingPartBody } from "./part-source.ts";

/**
 * One `PUT` of a part's bytes to its signed URL.
 *
 * @example
 * const req: PartRequest = { url: part.url, method: "PUT", headers: part.headers ?? {}, body, signal }
 */
export interface PartRequest {
  url: string;
  method: string;
  headers: Record<string, string>;
  body: PartBody;
  signal: AbortSignal;
  /** Bytes of this body sent so far, where the runtime can tell (XHR, node:http). */
  onBytesSent?: ((bytes: number) => void) | undefined;
}

/**
 * Sends a part and resolves with the server's answer, whatever its status (the body is read by
 * the caller only when it is an error). Rejects with `NetworkError` when no answer came and with
 * `signal.reason` on abort. Swap it to send parts another way (the Node entry streams them with
 * `node:http`; browsers use XHR for progress within a part).
 *
 * @example
 * const transport: PartTransport = createFetchPartTransport(fetch)
 */
export type PartTransport = (request: PartRequest) => Promise<Response>;

/**
 * Collects a streaming body into memory, for transports that cannot stream a request body
 * without buffering it anyway (fetch in Node: undici issue 4058).
 *
 * @example
 * const bytes = await bodyBytes(body)
 */
export async function bodyBytes(body: PartBody): Promise<Uint8Array | Blob> {
  if (!isStreamingPartBody(body)) return body;
  const bytes = new Uint8Array(body.size);
  let at = 0;
  for await (const chunk of body.stream()) {
    bytes.set(chunk, at);
    at += chunk.byteLength;
  }
  return bytes;
}

/**
 * True for a body that streams from elsewhere (not a `Blob`, not bytes in memory).
 *
 * @example
 * if (isStreamingPartBody(body)) pipe(body.stream())
 */
export function isStreamingPartBody(body: PartBody): body is StreamingPartBody {
  return !(body instanceof Uint8Array) && !(typeof Blob !== "undefined" && body instanceof Blob);
}
