/**
 * The largest webhook body a receiver accepts by default: the biggest event the reference
 * server sends at its default 1 MiB request body limit. An event carries the job's input and
 * its result (each at most one request body, since a result echoes at most its input) plus an
 * envelope of a few KiB (spec §3): 2 × 1 MiB + 64 KiB. A server run with a larger
 * `--body-limit N` sends events up to 2 × N + 64 KiB; pass that as `limit`.
 *
 * @example
 * webhookHandler(secret, onEvent, { limit: 2 * 8 * 1024 * 1024 + 64 * 1024 })
 */
export const DEFAULT_WEBHOOK_BODY_LIMIT = 2 * 1024 * 1024 + 64 * 1024;

/**
 * The body of a Fetch `Request`, read up to `limit` bytes; `undefined` when it is longer (the
 * rest is not read).
 *
 * @example
 * const body = await readBodyWithin(request, 1024);
 * if (!body) return new Response(null, { status: 413 });
 */
export async function readBodyWithin(request: Request, limit: number): Promise<Uint8Array | undefined> {
  if (Number(request.headers.get("content-length") ?? 0) > limit) return undefined;
  if (!request.body) return new Uint8Array(0);
  const reader = request.body.getReader();
  const chunks: Uint8Array[] = [];
  let size = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    size += value.byteLength;
    if (size > limit) {
      await reader.cancel().catch(() => {});
      return undefined;
    }
    chunks.push(value);
  }
  const body = new Uint8Array(size);
  let at = 0;
  for (const chunk of chunks) {
    body.set(chunk, at);
    at += chunk.byteLength;
  }
  return body;
}
