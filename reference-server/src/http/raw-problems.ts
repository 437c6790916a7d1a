import { STATUS_CODES } from "node:http";
import type { Duplex } from "node:stream";
import type { FastifyReply, FastifyRequest } from "fastify";
import { newId } from "../new-id.ts";
import { applyCors } from "./cors.ts";
import { ProblemError } from "./problems.ts";

/**
 * Refusals made before a route exists (bad %-encoding, an over-long path parameter), as
 * problem+json with `X-Request-Id` like every other answer (spec §1). fastify's
 * `frameworkErrors` option; its own answers are plain JSON without a request id.
 *
 * @example
 * Fastify({ frameworkErrors: answerFrameworkError });
 */
export function answerFrameworkError(error: { code?: string }, request: FastifyRequest, reply: FastifyReply): void {
  const problem =
    error.code === "FST_ERR_MAX_PARAM_LENGTH"
      ? new ProblemError("invalid_request", "A path segment of the URL is too long.", { status: 414, title: "URI too long" })
      : error.code === "FST_ERR_BAD_URL"
        ? new ProblemError("invalid_request", "The URL is not validly %-encoded.")
        : new ProblemError("invalid_request", "The request could not be routed.");
  reply.header("X-Request-Id", request.id);
  applyCors(reply);
  reply.code(problem.status).type("application/problem+json").send(JSON.stringify(problem.toProblem()));
}

/**
 * What Node's HTTP parser refuses before fastify sees a request (malformed HTTP, headers or
 * request line too large, a request that timed out), written straight to the socket as
 * problem+json with a fresh `X-Request-Id`, then the connection is closed (fastify's
 * `clientErrorHandler` option).
 *
 * @example
 * Fastify({ clientErrorHandler: answerClientError });
 */
export function answerClientError(error: Error & { code?: string }, socket: Duplex): void {
  // A reset connection has no one to answer.
  if (error.code === "ECONNRESET" || socket.destroyed) return;
  // Mid-answer (a keep-alive socket whose response has begun), raw bytes would corrupt it.
  const answering = (socket as Duplex & { _httpMessage?: { headersSent?: boolean } })._httpMessage;
  if (answering?.headersSent) {
    socket.destroy();
    return;
  }
  const problem =
    error.code === "HPE_HEADER_OVERFLOW"
      ? new ProblemError("invalid_request", "The request line or headers are too large.", { status: 431, title: "Request header fields too large" })
      : error.code === "ERR_HTTP_REQUEST_TIMEOUT"
        ? requestTimeoutProblem()
        : new ProblemError("invalid_request", "The request is not well-formed HTTP/1.1.");
  writeRawProblem(socket, problem, newId("req"));
}

/**
 * The `408` of a request whose headers or body did not arrive in time.
 *
 * @example
 * writeRawProblem(socket, requestTimeoutProblem(), request.id);
 */
export function requestTimeoutProblem(): ProblemError {
  return new ProblemError("invalid_request", "The request did not arrive in time.", { status: 408, title: "Request timeout" });
}

/**
 * Writes a whole problem+json response on a socket and closes it: for answers given outside
 * fastify's reply (the client's request is unfinished or unreadable).
 *
 * @example
 * writeRawProblem(request.raw.socket, requestTimeoutProblem(), request.id);
 */
export function writeRawProblem(socket: Duplex, problem: ProblemError, requestId: string): void {
  if (!socket.writable) {
    socket.destroy();
    return;
  }
  const body = JSON.stringify(problem.toProblem());
  const head = [
    `HTTP/1.1 ${problem.status} ${STATUS_CODES[problem.status] ?? "Error"}`,
    "Content-Type: application/problem+json",
    `Content-Length: ${Buffer.byteLength(body)}`,
    `X-Request-Id: ${requestId}`,
    "Access-Control-Allow-Origin: *",
    "Connection: close",
  ];
  socket.end(`${head.join("\r\n")}\r\n\r\n${body}`);
  // A client that never reads its answer does not keep the socket.
  setTimeout(() => socket.destroy(), 5_000).unref();
}
