import type { FastifyReply, FastifyRequest } from "fastify";
import { requestTimeoutProblem, writeRawProblem } from "./raw-problems.ts";

type Hook = (request: FastifyRequest, reply: FastifyReply, done: (error?: Error) => void) => void;

/** A request whose body is still arriving, and when it must have arrived. */
interface Pending {
  request: FastifyRequest;
  reply: FastifyReply;
  due: number;
}

/**
 * An `onRequest` hook: a request body that has not fully arrived `timeoutMs` after its headers
 * is answered `408` and its connection closed, so a client sending 7 of 100 bytes cannot hold a
 * socket and a parser forever. Node's own `requestTimeout` would also cut part uploads, which
 * may rightly take long: those have a rate guard instead (`byte-rate-guard.ts`).
 *
 * One sweeping timer serves every pending body (a tenth of the timeout late at most), so a
 * submit costs a list push, not a timer and two listeners of its own (issue 14).
 *
 * @example
 * route.onRequest = [createBodyDeadline(30_000)];
 */
export function createBodyDeadline(timeoutMs: number): Hook {
  const tickMs = Math.max(5, Math.min(1000, Math.ceil(timeoutMs / 10)));
  let pending: Pending[] = [];
  let timer: NodeJS.Timeout | undefined;

  function sweep() {
    const now = Date.now();
    const waiting: Pending[] = [];
    for (const entry of pending) {
      const { request, reply } = entry;
      if (request.raw.complete || reply.sent || request.raw.destroyed) continue;
      if (entry.due > now) {
        waiting.push(entry);
        continue;
      }
      reply.hijack();
      writeRawProblem(request.raw.socket, requestTimeoutProblem(), request.id);
    }
    pending = waiting;
    if (pending.length === 0) {
      clearInterval(timer);
      timer = undefined;
    }
  }

  return (request, reply, done) => {
    if (request.raw.complete || !hasBody(request)) return done();
    pending.push({ request, reply, due: Date.now() + timeoutMs });
    if (timer === undefined) timer = setInterval(sweep, tickMs).unref();
    done();
  };
}

function hasBody(request: FastifyRequest): boolean {
  const length = request.headers["content-length"];
  return (length !== undefined && length !== "0") || request.headers["transfer-encoding"] !== undefined;
}
