import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";

export interface FakeServer {
  readonly url: string;
  close(): Promise<void>;
}

/**
 * A tiny server for the runner's unit tests: /healthz, /v1/job-types (with `types`), the
 * token `good`, and `handle` for everything else.
 *
 * @example
 * const fake = await startFakeServer({ types: [], handle: (req, res) => res.writeHead(404).end() });
 */
export async function startFakeServer(opts: { types?: string[]; tokens?: string[]; handle?: (req: IncomingMessage, res: ServerResponse) => void } = {}): Promise<FakeServer> {
  const tokens = opts.tokens ?? ["good", "other"];
  const server = createServer((req, res) => {
    const rid = req.headers["x-request-id"] ?? "req_fake";
    res.setHeader("x-request-id", rid);
    if (req.url === "/healthz") return void res.writeHead(200, { "content-type": "application/json" }).end('{"status":"ok"}');
    const auth = req.headers.authorization ?? "";
    if (!tokens.some((t) => auth === `Bearer ${t}`)) {
      return void res
        .writeHead(401, { "content-type": "application/problem+json", "www-authenticate": "Bearer" })
        .end(JSON.stringify({ type: "about:blank", title: "Unauthorized", status: 401, code: "unauthorized" }));
    }
    if (req.url === "/v1/job-types") {
      const data = (opts.types ?? []).map((type) => ({ type, description: type, input_schema: {}, result_schema: {} }));
      return void res.writeHead(200, { "content-type": "application/json" }).end(JSON.stringify({ data }));
    }
    if (opts.handle) return opts.handle(req, res);
    res.writeHead(404, { "content-type": "application/problem+json" }).end(JSON.stringify({ type: "about:blank", title: "Not found", status: 404, code: "not_found" }));
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", () => resolve()));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    close: () =>
      new Promise((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
