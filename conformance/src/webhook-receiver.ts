import { randomUUID } from "node:crypto";
import { createServer, type IncomingMessage, type Server } from "node:http";
import type { AddressInfo } from "node:net";

/** One POST the receiver got, with the raw bytes (signatures are over them, spec §3). */
export interface ReceivedDelivery {
  readonly receivedAt: number;
  readonly method: string;
  readonly headers: Record<string, string>;
  readonly rawBody: Buffer;
  /** The status the receiver answered, from the route's script. */
  readonly answered: number;
}

/** A unique URL on the receiver with a scripted list of answers. */
export interface WebhookRoute {
  readonly url: string;
  readonly deliveries: readonly ReceivedDelivery[];
  /** Resolves once `count` deliveries arrived; rejects after `timeoutMs` or on abort. */
  waitFor(count: number, timeoutMs: number, signal?: AbortSignal): Promise<readonly ReceivedDelivery[]>;
}

export interface WebhookReceiver {
  /** Where the server under test reaches the receiver (`--webhook-public-url`). */
  readonly publicUrl: string;
  /** Where the receiver actually listens. */
  readonly listenUrl: string;
  /**
   * A fresh route answering `script[i]` to the i-th delivery (the last entry repeats).
   * Default `[200]`.
   */
  route(script?: readonly number[]): WebhookRoute;
  close(): Promise<void>;
}

export interface WebhookReceiverOptions {
  /** `host:port`; default `127.0.0.1:0`. */
  listen?: string;
  /** Public base URL; default the listen address. */
  publicUrl?: string;
}

interface RouteState {
  script: readonly number[];
  deliveries: ReceivedDelivery[];
  waiters: Set<() => void>;
}

function readBody(req: IncomingMessage): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    req.on("data", (c: Buffer) => chunks.push(c));
    req.on("end", () => resolve(Buffer.concat(chunks)));
    req.on("error", reject);
  });
}

/**
 * Starts the suite's webhook receiver: it records raw bytes and answers scripted statuses.
 *
 * @example
 * const receiver = await startWebhookReceiver({ listen: "127.0.0.1:0" });
 * const route = receiver.route([500, 200]); // fail once, then accept
 * // submit a job with webhook: { url: route.url } ...
 * const [first, retry] = await route.waitFor(2, 10_000);
 */
export async function startWebhookReceiver(options: WebhookReceiverOptions = {}): Promise<WebhookReceiver> {
  const routes = new Map<string, RouteState>();
  const server: Server = createServer(async (req, res) => {
    const body = await readBody(req).catch(() => Buffer.alloc(0));
    const id = (req.url ?? "").split("?")[0]!.split("/").pop() ?? "";
    const state = routes.get(id);
    if (!state) {
      res.writeHead(404, { "content-type": "application/problem+json" }).end(
        JSON.stringify({ type: "about:blank", title: "Not found", status: 404, code: "not_found" }),
      );
      return;
    }
    const answered = state.script[Math.min(state.deliveries.length, state.script.length - 1)] ?? 200;
    const headers: Record<string, string> = {};
    for (const [k, v] of Object.entries(req.headers)) headers[k] = Array.isArray(v) ? v.join(", ") : (v ?? "");
    state.deliveries.push({ receivedAt: Date.now(), method: req.method ?? "", headers, rawBody: body, answered });
    for (const wake of state.waiters) wake();
    if (answered === 204 || answered === 304) res.writeHead(answered).end();
    else res.writeHead(answered, { "content-type": "text/plain" }).end(`scripted ${answered}`);
  });
  server.keepAliveTimeout = 1_000;
  const [host, portText] = splitHostPort(options.listen ?? "127.0.0.1:0");
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(Number(portText), host, () => resolve());
  });
  const address = server.address() as AddressInfo;
  // A wildcard listen address is no URL to give out: loopback stands in for it.
  const urlHost = address.address === "0.0.0.0" ? "127.0.0.1" : address.address === "::" ? "::1" : address.address;
  const hostForUrl = address.family === "IPv6" ? `[${urlHost}]` : urlHost;
  const listenUrl = `http://${hostForUrl}:${address.port}`;
  const publicUrl = (options.publicUrl ?? listenUrl).replace(/\/+$/, "");
  return {
    publicUrl,
    listenUrl,
    route(script = [200]) {
      const id = `hook_${randomUUID()}`;
      const state: RouteState = { script: script.length > 0 ? script : [200], deliveries: [], waiters: new Set() };
      routes.set(id, state);
      return {
        url: `${publicUrl}/hooks/${id}`,
        deliveries: state.deliveries,
        waitFor(count, timeoutMs, signal) {
          return new Promise((resolve, reject) => {
            const done = () => {
              clearTimeout(timer);
              state.waiters.delete(check);
              signal?.removeEventListener("abort", onAbort);
            };
            const check = () => {
              if (state.deliveries.length >= count) {
                done();
                resolve(state.deliveries);
              }
            };
            const onAbort = () => {
              done();
              reject(signal?.reason ?? new Error("aborted"));
            };
            const timer = setTimeout(() => {
              done();
              reject(new DeliveryTimeout(count, state.deliveries.length, timeoutMs));
            }, timeoutMs);
            state.waiters.add(check);
            signal?.addEventListener("abort", onAbort, { once: true });
            check();
          });
        },
      };
    },
    close() {
      return new Promise((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      });
    },
  };
}

/**
 * Fewer deliveries than awaited arrived in time.
 *
 * @example
 * await route.waitFor(2, 1_000).catch((e) => e instanceof DeliveryTimeout && e.received);
 */
export class DeliveryTimeout extends Error {
  override readonly name = "DeliveryTimeout";
  constructor(
    readonly expected: number,
    readonly received: number,
    readonly timeoutMs: number,
  ) {
    super(`expected ${expected} webhook deliveries within ${timeoutMs} ms, got ${received}`);
  }
}

function splitHostPort(value: string): [string, string] {
  const m = /^\[?([^\]]*?)\]?:(\d+)$/.exec(value);
  if (!m) throw new Error(`--webhook-listen must be host:port, got ${JSON.stringify(value)}`);
  return [m[1]!, m[2]!];
}
