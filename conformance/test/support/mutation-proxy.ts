import { createServer, request as httpRequest, type IncomingMessage } from "node:http";
import type { AddressInfo } from "node:net";

/** A request passing through the proxy; hooks may change it before it is forwarded. */
export interface ProxiedRequest {
  method: string;
  /** Path and query. */
  path: string;
  headers: Record<string, string>;
  body: Buffer;
}

/** An answer passing back through the proxy; hooks may rewrite it. */
export interface ProxiedResponse {
  status: number;
  headers: Record<string, string>;
  body: Buffer;
}

/** State a mutant keeps across requests (per proxy). */
export type MutantState = Map<string, unknown>;

export interface ProxyHooks {
  request?(req: ProxiedRequest, state: MutantState): void;
  response?(req: ProxiedRequest, res: ProxiedResponse, state: MutantState): void;
}

export interface MutationProxy {
  readonly url: string;
  close(): Promise<void>;
}

function readBody(req: IncomingMessage): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    req.on("data", (c: Buffer) => chunks.push(c));
    req.on("end", () => resolve(Buffer.concat(chunks)));
    req.on("error", reject);
  });
}

const HOP = new Set(["host", "connection", "content-length", "transfer-encoding", "keep-alive"]);

/** Parses a JSON body, or undefined. */
export function readJson(res: { body: Buffer }): any {
  try {
    return JSON.parse(res.body.toString("utf8"));
  } catch {
    return undefined;
  }
}

/** Replaces a JSON body. */
export function writeJson(res: { body: Buffer }, value: unknown): void {
  res.body = Buffer.from(JSON.stringify(value));
}

/**
 * A response-rewriting HTTP proxy: forwards every request to `target` and lets hooks inject one
 * bug. URLs of the target inside answers are rewritten to the proxy, so signed part and download
 * URLs come back through it too.
 *
 * @example
 * const proxy = await startMutationProxy(server.baseUrl, { response: (req, res) => { if (res.status === 202) res.status = 200; } });
 */
export async function startMutationProxy(target: string, hooks: ProxyHooks): Promise<MutationProxy> {
  const state: MutantState = new Map();
  const targetUrl = new URL(target);
  let proxyOrigin = "";
  const server = createServer(async (req, res) => {
    try {
      const incoming: ProxiedRequest = {
        method: req.method ?? "GET",
        path: req.url ?? "/",
        headers: {},
        body: await readBody(req),
      };
      for (const [k, v] of Object.entries(req.headers)) if (!HOP.has(k) && v !== undefined) incoming.headers[k] = Array.isArray(v) ? v.join(", ") : v;
      hooks.request?.(incoming, state);
      const upstream = await new Promise<ProxiedResponse>((resolve, reject) => {
        const out = httpRequest(
          {
            host: targetUrl.hostname,
            port: targetUrl.port,
            method: incoming.method,
            path: `${targetUrl.pathname.replace(/\/$/, "")}${incoming.path}`,
            headers: { ...incoming.headers, "content-length": String(incoming.body.byteLength) },
          },
          async (r) => {
            const body = await readBody(r);
            const headers: Record<string, string> = {};
            for (const [k, v] of Object.entries(r.headers)) if (!HOP.has(k) && v !== undefined) headers[k] = Array.isArray(v) ? v.join(", ") : v;
            resolve({ status: r.statusCode ?? 502, headers, body });
          },
        );
        out.on("error", reject);
        out.end(incoming.body);
      });
      const origin = targetUrl.origin;
      if (upstream.headers.location?.startsWith(origin)) upstream.headers.location = proxyOrigin + upstream.headers.location.slice(origin.length);
      if (/json/.test(upstream.headers["content-type"] ?? "")) {
        const text = upstream.body.toString("utf8");
        if (text.includes(origin)) upstream.body = Buffer.from(text.split(origin).join(proxyOrigin));
      }
      hooks.response?.(incoming, upstream, state);
      const noBody = upstream.status === 204 || upstream.status === 304;
      res.writeHead(upstream.status, { ...upstream.headers, ...(noBody ? {} : { "content-length": String(upstream.body.byteLength) }) });
      res.end(noBody ? undefined : upstream.body);
    } catch (error) {
      res.writeHead(502, { "content-type": "text/plain" }).end(String(error));
    }
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", () => resolve()));
  proxyOrigin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return {
    url: proxyOrigin,
    close: () =>
      new Promise((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
