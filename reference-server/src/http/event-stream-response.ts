import type { FastifyReply } from "fastify";
import { eventStreamType } from "async-jobs/protocol";
import { applyCors } from "./cors.ts";

/**
 * Takes the socket over and sends the head of a `200 text/event-stream` answer (spec §8.2):
 * the headers set so far (X-Request-Id, CORS) plus the stream's own, nothing buffered or
 * compressed on the way. The caller writes events to `reply.raw` and ends it.
 *
 * @example
 * const raw = startEventStream(reply, { vary: "Prefer, Accept" });
 * raw.write(formatServerSentEvent({ retry: 1000 }));
 */
export function startEventStream(reply: FastifyReply, extraHeaders: Record<string, string> = {}) {
  const raw = reply.raw;
  reply.hijack();
  applyCors(reply);
  for (const [name, value] of Object.entries(reply.getHeaders())) if (value !== undefined) raw.setHeader(name, value);
  raw.writeHead(200, {
    "content-type": `${eventStreamType}; charset=utf-8`,
    // no-transform: proxies must not compress or buffer events (RFC 9111 §5.2.2.6).
    "cache-control": "no-cache, no-transform",
    "x-accel-buffering": "no",
    // A hijacked socket is not the server's to reuse: closing it with the stream lets shutdown finish.
    connection: "close",
    ...extraHeaders,
  });
  raw.socket?.setNoDelay(true);
  return raw;
}
