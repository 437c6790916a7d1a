import type { FastifyReply, FastifyRequest } from "fastify";
import { requestTimeoutProblem, writeRawProblem } from "./raw-problems.ts";

type Hook = (request: FastifyRequest, reply: FastifyReply, done: (error?: Error) => void) => void;

/**
 * An `onRequest` hook: a request body that has not fully arrived `timeoutMs` after its headers
 * is answered `408` and its connection closed, so a client sending 7 of 100 bytes cannot hold a
 * socket and a parser forever. Node's own `requestTimeout` would also cut part uploads, which
 * may rightly take long: those have a rate guard instead (`byte-rate-guard.ts`).
 *
 * @example
 * route.onRequest = [createBodyDeadline(30_000)];
 */
export function createBodyDeadline(timeoutMs: number): Hook {
  return (request, reply, done) => {
    const raw = request.raw;
    if (raw.complete || !hasBody(request)) return done();
    const timer = setTimeout(() => {
      if (raw.complete || reply.sent) return;
      reply.hijack();
      writeRawProblem(raw.socket, requestTimeoutProblem(), request.id);
    }, timeoutMs);
    const clear = () => clearTimeout(timer);
    raw.once("end", clear);
    reply.raw.once("close", clear);
    done();
  };
}

function hasBody(request: FastifyRequest): boolean {
  const length = request.headers["content-length"];
  return (length !== undefined && length !== "0") || request.headers["transfer-encoding"] !== undefined;
}
