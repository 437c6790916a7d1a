import type { IncomingMessage } from "node:http";

/** Options of {@link discardBody}. */
export interface DiscardBodyOptions {
  /** Read no more than this many bytes. */
  maxBytes: number;
  /** Stop waiting for the rest after this long. */
  timeoutMs: number;
}

/**
 * Reads and drops the unread rest of a request body, up to a bound, so that an early refusal
 * (`403`, `409`, `400` before the body was read) reaches a client that is still sending instead
 * of a reset connection (`EPIPE`). Resolves `true` when the whole body was read (the connection
 * can stay open), `false` when the bound or the time ran out (answer with `Connection: close`).
 *
 * @example
 * const drained = await discardBody(request.raw, { maxBytes: 16 * 2 ** 20, timeoutMs: 30_000 });
 * if (!drained) reply.header("connection", "close");
 */
export function discardBody(raw: IncomingMessage, options: DiscardBodyOptions): Promise<boolean> {
  if (raw.complete) return Promise.resolve(true);
  if (raw.destroyed) return Promise.resolve(false);
  const declared = Number(raw.headers["content-length"]);
  // A body declared larger than the bound is not worth reading: close at once.
  if (Number.isFinite(declared) && declared - raw.readableLength > options.maxBytes) return Promise.resolve(false);
  return new Promise((resolve) => {
    let seen = 0;
    const finish = (drained: boolean) => {
      clearTimeout(timer);
      raw.off("data", onData);
      raw.off("end", onEnd);
      raw.off("close", onClose);
      if (!drained) raw.pause();
      resolve(drained);
    };
    const onData = (chunk: Uint8Array) => {
      seen += chunk.byteLength;
      if (seen > options.maxBytes) finish(false);
    };
    const onEnd = () => finish(true);
    const onClose = () => finish(raw.complete);
    const timer = setTimeout(() => finish(false), options.timeoutMs);
    raw.on("data", onData);
    raw.once("end", onEnd);
    raw.once("close", onClose);
    raw.resume();
  });
}
