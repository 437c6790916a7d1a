import { randomBytes } from "node:crypto";

/**
 * A maker of request ids (spec §1.5): a random per-process prefix, then a counter. A request id
 * only has to tell one request's log lines and answer apart from another's, so it needs no fresh
 * randomness per request; a ULID (`newId`) cost a `getrandom` call on every status read.
 *
 * @example
 * const nextRequestId = createRequestIds();
 * nextRequestId(); // "req_k3v9x2mq4w1"
 */
export function createRequestIds(): () => string {
  // 50 random bits: two processes of one deployment do not share a prefix in practice.
  const prefix = `req_${(randomBytes(8).readBigUInt64BE() >> 14n).toString(36).padStart(10, "0")}`;
  let counter = 0;
  return () => prefix + (counter++).toString(36);
}
