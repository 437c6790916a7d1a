import { createServer, type Server } from "node:http";
import { Readable } from "node:stream";
import { webhookHandler } from "async-jobs/webhooks";
import { verifyNodeWebhook } from "async-jobs/webhooks/node";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { eventually, SECRET, startTestServer, type TestServer } from "../support/test-server.ts";

const BODY_LIMIT = 1024 * 1024; // the server's default --body-limit

const outcomes = new Map<string, { status: number; bytes: number }>();
let receiver: Server;
let base = "";
let t: TestServer;
beforeAll(async () => {
  const handler = webhookHandler(SECRET, () => {});
  // /node reads with verifyNodeWebhook, /fetch with webhookHandler: both at their default limits.
  receiver = createServer(async (req, res) => {
    if (req.url === "/node") {
      let status = 204;
      await verifyNodeWebhook(req, SECRET).catch((error) => (status = error.status ?? 400));
      outcomes.set("node", { status, bytes: Number(req.headers["content-length"]) });
      return res.writeHead(status).end();
    }
    const headers = new Headers(Object.entries(req.headers).map(([k, v]) => [k, String(v)] as [string, string]));
    const body = Readable.toWeb(req) as ReadableStream<Uint8Array>;
    const answer = await handler(new Request("http://receiver/", { method: "POST", headers, body, duplex: "half" } as RequestInit));
    outcomes.set("fetch", { status: answer.status, bytes: Number(req.headers["content-length"]) });
    res.writeHead(answer.status).end();
  });
  await new Promise<void>((r) => receiver.listen(0, "127.0.0.1", r));
  base = `http://127.0.0.1:${(receiver.address() as { port: number }).port}`;
  t = await startTestServer();
});
afterAll(async () => {
  await t.close();
  receiver.closeAllConnections();
  await new Promise((r) => receiver.close(r));
});

describe("event size (hostile review finding 7)", () => {
  it("the largest event the server sends at its default body limit passes the SDK's default receiver limits", async () => {
    for (const path of ["/node", "/fetch"]) {
      const url = `${base}${path}`;
      const envelope = JSON.stringify({ type: "conformance.echo", input: { value: "" }, webhook: { url } }).length;
      const value = "x".repeat(BODY_LIMIT - envelope); // the largest legal submit
      const submitted = await t.request("POST", "/v1/jobs", { body: { type: "conformance.echo", input: { value }, webhook: { url } } });
      expect(submitted.status).toBe(202);
    }
    await eventually(async () => outcomes.size, (n) => n === 2, 20_000);
    for (const outcome of outcomes.values()) {
      expect(outcome.bytes).toBeGreaterThan(2 * (BODY_LIMIT - 200)); // input and result both inside
      expect(outcome.status).toBe(204);
    }
  });
});
