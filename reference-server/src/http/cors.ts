import type { FastifyReply } from "fastify";

const ALLOW_HEADERS = "Authorization, Content-Type, Idempotency-Key, Prefer, If-None-Match, Last-Event-ID, X-Request-Id";
const EXPOSE_HEADERS = "ETag, Location, Retry-After, X-Request-Id, Preference-Applied, Idempotent-Replayed, RateLimit, RateLimit-Policy";

/**
 * CORS on every answer: any origin may call (bearer tokens, no cookies), and browsers may read
 * the headers the protocol relies on (part `ETag`s, `Location`, `Retry-After`; spec §4).
 *
 * @example
 * app.addHook("onSend", async (_request, reply) => applyCors(reply));
 */
export function applyCors(reply: FastifyReply): void {
  reply.header("Access-Control-Allow-Origin", "*");
  reply.header("Access-Control-Expose-Headers", EXPOSE_HEADERS);
}

/**
 * Answers a CORS preflight (`OPTIONS`) for a known path: `204` with the allowed methods and
 * request headers (PUT included, for part URLs).
 *
 * @example
 * return preflight(reply, ["GET", "POST"]);
 */
export function preflight(reply: FastifyReply, methods: string[]): FastifyReply {
  return reply
    .code(204)
    .header("Allow", methods.join(", "))
    .header("Access-Control-Allow-Methods", methods.join(", "))
    .header("Access-Control-Allow-Headers", ALLOW_HEADERS)
    .header("Access-Control-Max-Age", "600")
    .send();
}
