import { UsageError } from "./exit-codes.ts";

/** A webhook request as received: raw body bytes and headers. */
export interface CapturedWebhook {
  headers: Record<string, string>;
  body: Uint8Array;
}

/**
 * Reads a captured webhook from stdin bytes, in either form:
 * - a raw HTTP/1.1 request (`POST /hook HTTP/1.1`, headers, blank line, body), as saved by
 *   `nc -l 9000 > request.http`;
 * - JSON `{ "headers": { "webhook-id": "…", … }, "body": "<the raw body as a string>" }`.
 * The body must be the exact bytes received: verification is over the raw body (spec §3).
 *
 * @example
 * parseWebhookRequest(Buffer.from('{"headers":{},"body":"{}"}'))
 */
export function parseWebhookRequest(input: Uint8Array): CapturedWebhook {
  const buffer = Buffer.from(input);
  const text = buffer.toString("utf8").trimStart();
  if (text.startsWith("{")) {
    let parsed: { headers?: unknown; body?: unknown };
    try {
      parsed = JSON.parse(text);
    } catch (e) {
      throw new UsageError(`stdin is neither an HTTP request nor JSON: ${(e as Error).message}`);
    }
    if (typeof parsed.headers !== "object" || parsed.headers === null || typeof parsed.body !== "string") {
      throw new UsageError('JSON on stdin must be { "headers": { … }, "body": "…" }');
    }
    const headers: Record<string, string> = {};
    for (const [k, v] of Object.entries(parsed.headers)) headers[k.toLowerCase()] = Array.isArray(v) ? v.join(", ") : String(v);
    return { headers, body: new TextEncoder().encode(parsed.body) };
  }
  if (!/^[A-Z]+ \S+ HTTP\/\d(\.\d)?\r?\n/.test(text)) throw new UsageError("stdin must be a raw HTTP request or JSON { headers, body }");
  const start = buffer.length - Buffer.byteLength(text);
  const crlf = buffer.indexOf("\r\n\r\n", start);
  const lf = buffer.indexOf("\n\n", start);
  const [end, gap] = crlf >= 0 && (lf < 0 || crlf < lf) ? [crlf, 4] : lf >= 0 ? [lf, 2] : [buffer.length, 0];
  const headers: Record<string, string> = {};
  for (const line of buffer.subarray(start, end).toString("latin1").split(/\r?\n/).slice(1)) {
    const at = line.indexOf(":");
    if (at > 0) headers[line.slice(0, at).trim().toLowerCase()] = line.slice(at + 1).trim();
  }
  let body = buffer.subarray(end + gap);
  const length = headers["content-length"];
  if (length !== undefined && /^\d+$/.test(length)) body = body.subarray(0, Number(length));
  return { headers, body };
}
