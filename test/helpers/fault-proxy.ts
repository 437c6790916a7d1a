import { createServer, request as httpRequest, type IncomingMessage, type ServerResponse } from "node:http";
import { listenOnLoopback } from "./listen-on-loopback.ts";

/**
 * What the proxy does to one request.
 * - `drop-after-commit`: forwards the request, lets the server answer in full (so whatever it
 *   did is committed), then destroys the client's connection without a byte of the answer.
 * - `reset`: destroys the client's connection with a TCP RST before forwarding anything.
 * - `delay`: waits `ms` before forwarding (the client's per-attempt timeout may fire).
 * - `status`: answers itself with `status` (e.g. 503 problem+json with `Retry-After`), not forwarding.
 */
export type Fault =
  | { kind: "drop-after-commit" }
  | { kind: "reset" }
  | { kind: "delay"; ms: number }
  | { kind: "status"; status: number; retryAfterS?: number; code?: string };

/** A request as the fault chooser sees it. */
export interface ProxiedRequest {
  method: string;
  /** Path and query. */
  url: string;
  headers: IncomingMessage["headers"];
  /** 1-based count of requests the proxy has seen. */
  n: number;
}

/** The running proxy. */
export interface FaultProxy {
  /** `http://127.0.0.1:PORT`: use as the client's `baseUrl`. */
  url: string;
  /** Requests seen, forwarded, and faults injected by kind. */
  stats: { requests: number; forwarded: number } & Record<Fault["kind"], number>;
  /** Replaces the fault chooser (e.g. to stop injecting faults). */
  setFaults(choose: (req: ProxiedRequest) => Fault | undefined): void;
  close(): Promise<void>;
}

/**
 * A loopback HTTP proxy that injects faults in front of a real server: connections dropped
 * after the server committed, resets, delays and its own 503s. `choose` decides per request
 * (none: forward untouched). Used by the jobs integration tests and reusable by any test that
 * needs a flaky network (uploads: PUTs to signed URLs go through it when the server is asked
 * for URLs via the proxy's origin).
 *
 * @example
 * const proxy = await startFaultProxy(server.url, randomFaults({ dropAfterCommit: 0.1, reset: 0.05 }))
 * const client = createClient({ baseUrl: proxy.url, token })
 * await proxy.close()
 */
export async function startFaultProxy(
  upstream: string,
  choose: (req: ProxiedRequest) => Fault | undefined = () => undefined,
): Promise<FaultProxy> {
  const target = new URL(upstream);
  const stats: FaultProxy["stats"] = { requests: 0, forwarded: 0, "drop-after-commit": 0, reset: 0, delay: 0, status: 0 };
  let chooser = choose;

  const forward = (req: IncomingMessage, res: ServerResponse, dropAfterCommit: boolean) => {
    stats.forwarded++;
    const headers = { ...req.headers, host: target.host };
    const upstreamReq = httpRequest(
      { host: target.hostname, port: target.port, method: req.method, path: req.url, headers },
      (upstreamRes) => {
        if (dropAfterCommit) {
          // Read the whole answer (the server has done its work), then cut the client off.
          upstreamRes.resume();
          upstreamRes.on("end", () => req.socket.destroy());
          return;
        }
        res.writeHead(upstreamRes.statusCode ?? 502, upstreamRes.headers);
        upstreamRes.pipe(res);
      },
    );
    upstreamReq.on("error", () => req.socket.destroy());
    // A client that gives up (timeout, abort) must not leave the upstream request held.
    res.on("close", () => {
      if (!res.writableFinished) upstreamReq.destroy();
    });
    req.pipe(upstreamReq);
  };

  const server = createServer((req, res) => {
    stats.requests++;
    const fault = chooser({ method: req.method ?? "GET", url: req.url ?? "/", headers: req.headers, n: stats.requests });
    if (!fault) return forward(req, res, false);
    stats[fault.kind]++;
    switch (fault.kind) {
      case "drop-after-commit":
        return forward(req, res, true);
      case "reset":
        req.socket.resetAndDestroy();
        return;
      case "delay": {
        const timer = setTimeout(() => forward(req, res, false), fault.ms);
        res.on("close", () => clearTimeout(timer));
        return;
      }
      case "status": {
        req.resume();
        const code = fault.code ?? (fault.status === 503 ? "overloaded" : "internal");
        const headers: Record<string, string> = { "content-type": "application/problem+json" };
        if (fault.retryAfterS !== undefined) headers["retry-after"] = String(fault.retryAfterS);
        res.writeHead(fault.status, headers);
        res.end(JSON.stringify({ type: `https://async-jobs.dev/problems/${code}`, title: code, status: fault.status, detail: "injected by the fault proxy", code }));
        return;
      }
    }
  });
  const { url, close } = await listenOnLoopback(server);
  return {
    url,
    stats,
    setFaults: (c) => void (chooser = c),
    close,
  };
}

/**
 * A chooser that injects each fault with the given probability (checked in this order), e.g.
 * `{ dropAfterCommit: 0.1, reset: 0.05, delay: 0.05, status503: 0.05 }`. `random` makes it
 * reproducible.
 *
 * @example
 * startFaultProxy(url, randomFaults({ reset: 0.1 }, seededRandom(42)))
 */
export function randomFaults(
  p: { dropAfterCommit?: number; reset?: number; delay?: number; delayMs?: number; status503?: number },
  random: () => number = Math.random,
): (req: ProxiedRequest) => Fault | undefined {
  return () => {
    let r = random();
    if ((r -= p.dropAfterCommit ?? 0) < 0) return { kind: "drop-after-commit" };
    if ((r -= p.reset ?? 0) < 0) return { kind: "reset" };
    if ((r -= p.delay ?? 0) < 0) return { kind: "delay", ms: p.delayMs ?? 100 };
    if ((r -= p.status503 ?? 0) < 0) return { kind: "status", status: 503, retryAfterS: 0 };
    return undefined;
  };
}

/**
 * A small deterministic PRNG (mulberry32) for reproducible fault patterns.
 *
 * @example
 * const random = seededRandom(1); random() // 0.6270739405881613
 */
export function seededRandom(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
