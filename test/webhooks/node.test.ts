// async-jobs/webhooks/node through real HTTP on loopback: Express with express.raw(), plain
// node:http, and the mistakes the helper must catch (a body already parsed, an oversized body).
import { once } from "node:events";
import { createServer, type RequestListener, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import express from "express";
import { afterEach, describe, expect, it } from "vitest";
import {
  createTestWebhook,
  isWebhookVerificationError,
  verifyWebhook,
  type JobEvent,
} from "async-jobs/webhooks";
import { PayloadTooLargeError, readRawBody, verifyNodeWebhook } from "async-jobs/webhooks/node";
import { events, OTHER_SECRET, SECRET } from "./fixtures.ts";

const servers: Server[] = [];
afterEach(async () => {
  await Promise.all(servers.splice(0).map((s) => new Promise((r) => s.close(r))));
});

async function listen(listener: RequestListener): Promise<string> {
  const server = createServer(listener);
  servers.push(server);
  server.listen(0, "127.0.0.1");
  await once(server, "listening");
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}

/** Sends a signed event to `url` with Node's fetch (a real TCP request). */
async function send(url: string, event: JobEvent, secret = SECRET): Promise<Response> {
  const request = await createTestWebhook(event, secret, { url });
  return fetch(request);
}

describe("Express with express.raw()", () => {
  function app(received: JobEvent[]) {
    const app = express();
    // The webhook route comes before the app-wide JSON parser, which would otherwise take the
    // raw bytes first (express.raw() then leaves the parsed object alone).
    app.post("/webhooks", express.raw({ type: "application/json" }), async (req, res) => {
      try {
        received.push(await verifyNodeWebhook(req, SECRET));
        res.status(204).end();
      } catch (error) {
        if (!isWebhookVerificationError(error)) throw error;
        res.status(400).json({ code: error.reason });
      }
    });
    app.use(express.json());
    // A route without express.raw(): the JSON parser already consumed the raw bytes.
    app.post("/parsed", async (req, res) => {
      try {
        await verifyNodeWebhook(req, SECRET);
        res.status(204).end();
      } catch (error) {
        res.status(500).json({ message: (error as Error).message });
      }
    });
    return app;
  }

  it("accepts a signed event and refuses a forged one", async () => {
    const received: JobEvent[] = [];
    const base = await listen(app(received) as RequestListener);
    expect((await send(`${base}/webhooks`, events["job.succeeded"])).status).toBe(204);
    const forged = await send(`${base}/webhooks`, events["job.failed"], OTHER_SECRET);
    expect(forged.status).toBe(400);
    expect(await forged.json()).toEqual({ code: "no_matching_signature" });
    expect(received).toEqual([events["job.succeeded"]]);
  });

  it("says plainly when a JSON parser already took the raw body", async () => {
    const base = await listen(app([]) as RequestListener);
    const response = await send(`${base}/parsed`, events["job.succeeded"]);
    expect(response.status).toBe(500);
    expect((await response.json()).message).toMatch(/express\.raw/);
  });
});

describe("plain node:http", () => {
  it("reads the body from the stream and verifies it", async () => {
    const received: JobEvent[] = [];
    const base = await listen(async (req, res) => {
      try {
        received.push(await verifyNodeWebhook(req, [OTHER_SECRET, SECRET]));
        res.writeHead(204).end();
      } catch (error) {
        res.writeHead(isWebhookVerificationError(error) ? 400 : 500).end();
      }
    });
    expect((await send(base, events["job.canceled"])).status).toBe(204);
    expect(received).toEqual([events["job.canceled"]]);
  });

  it("answers 413 past the limit, and tampered bytes fail verification", async () => {
    const base = await listen(async (req, res) => {
      try {
        await verifyNodeWebhook(req, SECRET, { limit: 64 });
        res.writeHead(204).end();
      } catch (error) {
        res.writeHead(error instanceof PayloadTooLargeError ? 413 : 400).end();
      }
    });
    expect((await send(base, events["job.succeeded"])).status).toBe(413);

    const tamperBase = await listen(async (req, res) => {
      const body = await readRawBody(req);
      body[body.length - 2]! ^= 1; // flip one bit of the raw body
      try {
        await verifyWebhook({ body, headers: req.headers }, SECRET);
        res.writeHead(204).end();
      } catch (error) {
        res.writeHead(400).end(isWebhookVerificationError(error) ? error.reason : "?");
      }
    });
    const tampered = await send(tamperBase, events["job.succeeded"]);
    expect(tampered.status).toBe(400);
    expect(await tampered.text()).toBe("no_matching_signature");
  });

  it("readRawBody returns what a middleware left as a Buffer or string", async () => {
    const fake = { body: "abc", headers: {} } as never;
    expect(new TextDecoder().decode(await readRawBody(fake))).toBe("abc");
    const bytes = new Uint8Array([1, 2]);
    expect(await readRawBody({ body: bytes, headers: {} } as never)).toBe(bytes);
  });
});
