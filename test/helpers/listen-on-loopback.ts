import type { Server } from "node:http";
import type { AddressInfo, Socket } from "node:net";

/** A server listening on a free loopback port. */
export interface LoopbackListener {
  /** `http://127.0.0.1:PORT` */
  url: string;
  /** Destroys every open connection (kept-alive or mid-answer) and closes the server. */
  close(): Promise<void>;
}

/**
 * Listens on 127.0.0.1, port 0, keeping track of connections so `close` does not wait for a
 * client's keep-alive sockets (or a request a fault left hanging) to end.
 *
 * @example
 * const { url, close } = await listenOnLoopback(createServer(handler)); … await close();
 */
export async function listenOnLoopback(server: Server): Promise<LoopbackListener> {
  const sockets = new Set<Socket>();
  server.on("connection", (s) => {
    sockets.add(s);
    s.on("close", () => sockets.delete(s));
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    close: () =>
      new Promise<void>((resolve) => {
        for (const s of sockets) s.destroy();
        server.close(() => resolve());
      }),
  };
}
