import { createServer, type IncomingMessage, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { isNetworkError } from "async-jobs";
import { createNodePartTransport, fileSource } from "async-jobs/uploads/node";

// The Node part transport on a real loopback server: exact bytes with Content-Length, progress
// within a part, abort mid-body, a reset connection as NetworkError.
type Handler = (req: IncomingMessage, body: Buffer) => { status: number; headers?: Record<string, string>; body?: string } | "reset" | "hang";
let server: Server;
let url: string;
let handler: Handler = () => ({ status: 200, headers: { etag: '"x"' } });
const seen: { headers: IncomingMessage["headers"]; bytes: number }[] = [];
let dir: string;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), "aj-node-transport-"));
  server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    let answered = false;
    req.on("data", (c: Buffer) => {
      chunks.push(c);
      if (!answered && handler(req, Buffer.alloc(0)) === "hang") answered = true; // keep reading, never answer
    });
    req.on("end", () => {
      const body = Buffer.concat(chunks);
      seen.push({ headers: req.headers, bytes: body.byteLength });
      const answer = handler(req, body);
      if (answer === "hang") return;
      if (answer === "reset") return void req.socket.resetAndDestroy();
      res.writeHead(answer.status, answer.headers);
      res.end(answer.body);
    });
  });
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/part`;
});
afterAll(async () => {
  server.closeAllConnections();
  await new Promise((r) => server.close(r));
  rmSync(dir, { recursive: true, force: true });
});

describe("createNodePartTransport", () => {
  it("streams a file range with its Content-Length, and reports bytes as they go out", async () => {
    const data = Buffer.alloc(5 * 2 ** 20 + 3, 7);
    writeFileSync(join(dir, "f.bin"), data);
    const source = await fileSource(join(dir, "f.bin"));
    const body = await source.read(1000, data.byteLength);
    let echoed: Buffer = Buffer.alloc(0);
    handler = (_req, b) => {
      echoed = b;
      return { status: 200, headers: { etag: '"abc"' } };
    };
    const progress: number[] = [];
    const response = await createNodePartTransport()({
      url, method: "PUT", headers: { "content-type": "application/octet-stream" }, body,
      signal: new AbortController().signal, onBytesSent: (n) => progress.push(n),
    });
    expect(response.status).toBe(200);
    expect(response.headers.get("etag")).toBe('"abc"');
    expect(echoed.equals(data.subarray(1000))).toBe(true);
    expect(seen.at(-1)!.headers["content-length"]).toBe(String(data.byteLength - 1000));
    expect(progress.at(-1)).toBe(data.byteLength - 1000);
    expect(progress.filter((n) => n < data.byteLength - 1000).length).toBeGreaterThan(1); // moved within the part
  });

  it("sends in-memory bytes and hands back an error answer with its body", async () => {
    handler = () => ({ status: 400, headers: { "content-type": "application/problem+json" }, body: '{"code":"size_mismatch"}' });
    const response = await createNodePartTransport()({ url, method: "PUT", headers: {}, body: new Uint8Array([1, 2, 3]), signal: new AbortController().signal });
    expect(response.status).toBe(400);
    expect(await response.json()).toEqual({ code: "size_mismatch" });
    expect(seen.at(-1)!.bytes).toBe(3);
  });

  it("rejects with NetworkError when the connection is reset", async () => {
    handler = () => "reset";
    const error = await createNodePartTransport()({ url, method: "PUT", headers: {}, body: new Uint8Array(10), signal: new AbortController().signal }).catch((e: unknown) => e);
    expect(isNetworkError(error)).toBe(true);
  });

  it("abort rejects with the signal's reason while the server still holds the request", async () => {
    handler = () => "hang";
    const controller = new AbortController();
    const pending = createNodePartTransport()({ url, method: "PUT", headers: {}, body: new Uint8Array(10), signal: controller.signal });
    setTimeout(() => controller.abort(new Error("stop now")), 20);
    await expect(pending).rejects.toThrow("stop now");
  });
});
