import { createServer, request as httpRequest, type IncomingMessage, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
// Global setup runs in plain Node (no source condition): the SDK from its sources, not dist.
import { createClient } from "../../../src/index.ts";
import { startReferenceServer } from "../../helpers/reference-server.ts";

/** One request the page sent, as the proxy saw it. */
export interface SeenRequest {
  method: string;
  path: string;
  authorization: string | null;
}

/** What the page gets from the backend: scoped tokens and the ids they name, never the tenant token. */
export interface BrowserSession {
  apiUrl: string;
  jobIds: string[];
  jobToken: string;
  uploadId: string;
  uploadToken: string;
  uploadSize: number;
}

/**
 * The browser pattern of spec §8.3 as a test fixture: a reference server behind a recording
 * proxy, and a tiny backend on the same origin. `POST /backend/session` submits two jobs and
 * creates an upload with the tenant token, then hands the page only a job token and an upload
 * token. `GET /backend/seen` lists every request the page sent through the proxy (part PUTs
 * included: part URLs point at the proxy) and counts answers that carried the tenant token.
 */
export async function startTokenBackend() {
  const proxy = createServer((request, response) => void handle(request, response));
  await new Promise<void>((resolve) => proxy.listen(0, "127.0.0.1", resolve));
  const proxyUrl = `http://127.0.0.1:${(proxy.address() as AddressInfo).port}`;
  const server = await startReferenceServer({ tenants: ["shop"], args: ["--public-url", proxyUrl] });
  const tenantToken = server.tokens.shop!;
  const tenant = createClient({ baseUrl: server.url, token: tenantToken });
  const seen: SeenRequest[] = [];
  let leaks = 0;

  async function handle(request: IncomingMessage, response: ServerResponse) {
    const cors = { "access-control-allow-origin": "*", "content-type": "application/json" };
    if (request.url === "/backend/session" && request.method === "POST") {
      const jobIds = await Promise.all(
        ["a", "b"].map(async (value, i) => (await tenant.jobs.submit({ type: "conformance.echo", input: { value, duration_ms: 1200 + 600 * i, progress_steps: 3 } })).job.id),
      );
      const uploadSize = 3 * 65_536 + 11;
      const created = await fetch(`${server.url}/v1/uploads`, {
        method: "POST",
        headers: { authorization: `Bearer ${tenantToken}`, "content-type": "application/json" },
        body: JSON.stringify({ filename: "photo.bin", content_type: "application/octet-stream", size: uploadSize, part_size: 65_536 }),
      }).then((r) => r.json() as Promise<{ id: string }>);
      const session: BrowserSession = {
        apiUrl: proxyUrl,
        jobIds,
        jobToken: (await tenant.jobs.createToken(jobIds, { ttlSeconds: 300 })).token,
        uploadId: created.id,
        uploadToken: (await tenant.uploads.createToken(created.id, { ttlSeconds: 300 })).token,
        uploadSize,
      };
      return send(response, 201, cors, JSON.stringify(session));
    }
    if (request.url === "/backend/seen") return send(response, 200, cors, JSON.stringify({ requests: seen, leaks }));
    if (request.method !== "OPTIONS") seen.push({ method: request.method!, path: request.url!.split("?")[0]!, authorization: request.headers.authorization ?? null });
    // Everything else goes to the API, streamed both ways (event streams included).
    const upstream = httpRequest(`${server.url}${request.url}`, { method: request.method, headers: request.headers }, (answer) => {
      response.writeHead(answer.statusCode!, answer.headers);
      answer.on("data", (chunk: Buffer) => {
        if (chunk.toString("latin1").includes(tenantToken)) leaks++;
        response.write(chunk);
      });
      answer.on("end", () => response.end());
    });
    upstream.on("error", () => response.destroy());
    response.on("close", () => upstream.destroy());
    request.pipe(upstream);
  }

  function send(response: ServerResponse, status: number, headers: Record<string, string>, body: string) {
    if (body.includes(tenantToken)) leaks++;
    response.writeHead(status, headers).end(body);
  }

  return {
    url: proxyUrl,
    async stop() {
      proxy.closeAllConnections();
      await new Promise((resolve) => proxy.close(resolve));
      await server.stop();
    },
  };
}
