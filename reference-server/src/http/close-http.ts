import type { FastifyInstance } from "fastify";

/**
 * Closes the HTTP side within `graceMs`: stops accepting connections, answers requests that
 * still arrive on open connections with 503 and `Connection: close` (fastify's
 * return503OnClosing), and closes keep-alive connections as soon as they go idle. Node closes
 * idle connections only once, when close begins: a connection busy at that moment would stay
 * open until fastify's 72 s keep-alive timeout and hold the drain (issue 20). Requests still
 * running after the grace (a held wait) are cut.
 *
 * @example
 * await closeHttp(app, 10_000);
 */
export async function closeHttp(app: FastifyInstance, graceMs: number): Promise<void> {
  const server = app.server;
  const reap = setInterval(() => server.closeIdleConnections(), 50);
  const cut = setTimeout(() => server.closeAllConnections(), graceMs);
  try {
    await app.close();
  } finally {
    clearInterval(reap);
    clearTimeout(cut);
  }
}
