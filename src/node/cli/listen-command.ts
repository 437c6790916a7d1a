import { createServer, type IncomingMessage } from "node:http";
import type { AddressInfo } from "node:net";
import { numberOption, stringOption, type CliContext } from "./cli-context.ts";
import { exitCodes, UsageError, type ExitCode } from "./exit-codes.ts";

// Hop-by-hop headers are the connection's, not the message's (RFC 9110 §7.6.1); the signature
// headers (webhook-id, webhook-timestamp, webhook-signature) and the body pass untouched, so the
// app verifies exactly what the server signed (spec §3).
const hopByHop = new Set(["connection", "keep-alive", "transfer-encoding", "upgrade", "host", "content-length", "proxy-connection", "te", "trailer"]);

async function readBody(req: IncomingMessage): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks);
}

/**
 * `async-jobs listen --forward-to http://localhost:3000/webhooks [--port N]`: a local webhook
 * URL for development. Every request it receives is forwarded with its method, headers and raw
 * body to the app, and the app's answer goes back to the server (so retries behave as in
 * production). Runs until Ctrl-C.
 *
 * @example
 * await listenCommand(ctx)
 */
export async function listenCommand(ctx: CliContext): Promise<ExitCode> {
  if (ctx.args.length > 0) throw new UsageError(`unexpected arguments: ${ctx.args.join(" ")}`);
  const target = stringOption(ctx, "forward-to", true);
  let targetUrl: URL;
  try {
    targetUrl = new URL(target);
  } catch {
    throw new UsageError(`--forward-to takes a URL, got "${target}"`);
  }
  const port = ctx.values.port === undefined ? 0 : numberOption(ctx, "port")!;
  const server = createServer(async (req, res) => {
    const body = await readBody(req);
    const headers: Record<string, string> = {};
    for (const [name, value] of Object.entries(req.headers)) {
      if (value !== undefined && !hopByHop.has(name)) headers[name] = Array.isArray(value) ? value.join(", ") : value;
    }
    const path = new URL(req.url ?? "/", "http://listener");
    const url = new URL(targetUrl);
    if (path.search) url.search = path.search;
    const label = `${req.method} ${req.url} ${headers["webhook-id"] ?? ""}`.trim();
    try {
      const answer = await fetch(url, { method: req.method, headers, ...(body.length > 0 ? { body: new Uint8Array(body) } : {}) });
      const reply = Buffer.from(await answer.arrayBuffer());
      ctx.print({ forwarded: true, webhook_id: headers["webhook-id"] ?? null, status: answer.status }, `${label} -> ${url.href} ${answer.status}`);
      res.writeHead(answer.status, { "content-type": answer.headers.get("content-type") ?? "text/plain" }).end(reply);
    } catch (error) {
      // The app is down: 502, so the server retries the delivery later.
      ctx.note(`${label} -> ${url.href} failed: ${(error as Error).message}; answered 502`);
      res.writeHead(502).end();
    }
  });
  await new Promise<void>((resolve, reject) => {
    server.once("error", (error: NodeJS.ErrnoException) =>
      reject(error.code === "EADDRINUSE" ? new UsageError(`port ${port} is in use: pick another --port, or omit it for a free one`) : error),
    );
    server.listen(port, "127.0.0.1", resolve);
  });
  const { port: actual } = server.address() as AddressInfo;
  const hookUrl = `http://127.0.0.1:${actual}/`;
  ctx.print({ webhook_url: hookUrl, forward_to: targetUrl.href }, `listening on ${hookUrl}, forwarding to ${targetUrl.href}`);
  ctx.note(`submit with --webhook ${hookUrl} (the server must allow private webhook URLs: async-jobs-server serve --allow-private-webhooks); Ctrl-C stops`);
  await new Promise(() => {}); // until Ctrl-C (the interrupt handler exits)
  return exitCodes.succeeded;
}
