import { createServer, request as httpRequest, type IncomingMessage, type ServerResponse } from "node:http";
import { listenOnLoopback } from "./listen-on-loopback.ts";

/**
 * What the proxy does to one part PUT.
 * - `status`: answers itself (e.g. 503) after reading the body, not forwarding.
 * - `reset`: forwards nothing; lets `afterBytes` of the body arrive, then a TCP RST.
 * - `delay`: waits `ms` before forwarding.
 * - `expire`: answers `403 url_expired`, as a server does once a signed URL's time is up.
 */
export type PartFault =
  | { kind: "status"; status: number; code?: string }
  | { kind: "reset"; afterBytes: number }
  | { kind: "delay"; ms: number }
  | { kind: "expire" };

/** A part PUT as the fault chooser sees it. */
export interface PartPut {
  uploadId: string;
  number: number;
  /** 1-based count of PUTs of this part the proxy has seen. */
  attempt: number;
}

/**
 * A loopback proxy in front of the reference server that keeps the client's `Host` header, so
 * the signed part URLs the server hands out point back at the proxy and every part PUT goes
 * through it. `choose` decides a fault per part PUT; other requests pass untouched. It counts
 * the part bytes it forwarded (what reached the server) per upload.
 *
 * (test/helpers/fault-proxy.ts rewrites `Host` to the upstream, so signed URLs would bypass it.)
 *
 * @example
 * const proxy = await startUploadFaultProxy(server.url, ({ attempt }) => (attempt === 1 ? { kind: "expire" } : undefined))
 * const client = createClient({ baseUrl: proxy.url, token })
 */
export async function startUploadFaultProxy(upstream: string, choose: (put: PartPut) => PartFault | undefined = () => undefined) {
  const target = new URL(upstream);
  const attempts = new Map<string, number>();
  const stats = { puts: 0, status: 0, reset: 0, delay: 0, expire: 0, forwardedPartBytes: new Map<string, number>() };
  let chooser = choose;

  const forward = (req: IncomingMessage, res: ServerResponse, part?: { uploadId: string }) => {
    const upstreamReq = httpRequest(
      { host: target.hostname, port: target.port, method: req.method, path: req.url, headers: req.headers },
      (upstreamRes) => {
        res.writeHead(upstreamRes.statusCode ?? 502, upstreamRes.headers);
        upstreamRes.pipe(res);
      },
    );
    upstreamReq.on("error", () => req.socket.destroy());
    res.on("close", () => {
      if (!res.writableFinished) upstreamReq.destroy();
    });
    if (part) {
      req.on("data", (chunk: Buffer) => {
        stats.forwardedPartBytes.set(part.uploadId, (stats.forwardedPartBytes.get(part.uploadId) ?? 0) + chunk.byteLength);
      });
    }
    req.pipe(upstreamReq);
  };

  const server = createServer((req, res) => {
    const m = req.method === "PUT" ? /^\/v1\/uploads\/([^/]+)\/parts\/(\d+)/.exec(req.url ?? "") : null;
    if (!m) return forward(req, res);
    const uploadId = m[1]!;
    const number = Number(m[2]);
    const key = `${uploadId}/${number}`;
    const attempt = (attempts.get(key) ?? 0) + 1;
    attempts.set(key, attempt);
    stats.puts++;
    const fault = chooser({ uploadId, number, attempt });
    if (!fault) return forward(req, res, { uploadId });
    stats[fault.kind]++;
    switch (fault.kind) {
      case "status":
      case "expire": {
        const status = fault.kind === "expire" ? 403 : fault.status;
        const code = fault.kind === "expire" ? "url_expired" : (fault.code ?? "internal");
        req.resume();
        req.on("end", () => {
          res.writeHead(status, { "content-type": "application/problem+json" });
          res.end(JSON.stringify({ type: `https://async-jobs.dev/problems/${code}`, title: code, status, detail: "injected by the upload fault proxy", code }));
        });
        return;
      }
      case "reset": {
        let seen = 0;
        req.on("data", (chunk: Buffer) => {
          seen += chunk.byteLength;
          if (seen >= fault.afterBytes) req.socket.resetAndDestroy();
        });
        req.on("end", () => req.socket.resetAndDestroy());
        return;
      }
      case "delay": {
        req.pause();
        const timer = setTimeout(() => forward(req, res, { uploadId }), fault.ms);
        res.on("close", () => clearTimeout(timer));
        return;
      }
    }
  });
  const { url, close } = await listenOnLoopback(server);
  return {
    /** `http://127.0.0.1:PORT`: the client's `baseUrl`. */
    url,
    stats,
    /** Replaces the fault chooser. */
    setFaults(next: (put: PartPut) => PartFault | undefined) {
      chooser = next;
    },
    close,
  };
}
