import { describe, expect, it } from "vitest";
import { createHttpRecorder, maskSecrets, NetworkFailure } from "../src/http-recorder.ts";
import { checkWebhookSignature, signWebhook } from "../src/verify-signature.ts";
import { DeliveryTimeout, startWebhookReceiver } from "../src/webhook-receiver.ts";
import { freePort } from "../../test/helpers/free-port.ts";

const SECRET = `whsec_${Buffer.from("0123456789abcdef0123456789abcdef").toString("base64")}`;

describe("webhook receiver", () => {
  it("answers its script (500, 410, then 204 repeating) and keeps the raw bytes", async () => {
    const receiver = await startWebhookReceiver();
    try {
      const route = receiver.route([500, 410, 204]);
      const raw = '{ "b":1,  "a" : "ü" }';
      const statuses: number[] = [];
      for (let i = 0; i < 4; i++) statuses.push((await fetch(route.url, { method: "POST", body: raw, headers: { "webhook-id": "evt_1" } })).status);
      expect(statuses).toEqual([500, 410, 204, 204]);
      const got = await route.waitFor(4, 1_000);
      expect(got[0]!.rawBody.toString("utf8")).toBe(raw);
      expect(got[0]!.headers["webhook-id"]).toBe("evt_1");
      expect(got.map((d) => d.answered)).toEqual([500, 410, 204, 204]);
      expect((await fetch(`${receiver.publicUrl}/hooks/unknown`, { method: "POST" })).status).toBe(404);
      await expect(receiver.route().waitFor(1, 50)).rejects.toBeInstanceOf(DeliveryTimeout);
    } finally {
      await receiver.close();
    }
  });

  it("gives out loopback for a wildcard listen address", async () => {
    const receiver = await startWebhookReceiver({ listen: "0.0.0.0:0" });
    try {
      expect(receiver.publicUrl).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
      expect((await fetch(receiver.route([202]).url, { method: "POST", body: "{}" })).status).toBe(202);
    } finally {
      await receiver.close();
    }
  });

  it("listens where told and hands out the public URL", async () => {
    const port = await freePort();
    const receiver = await startWebhookReceiver({ listen: `127.0.0.1:${port}`, publicUrl: "https://hooks.example.test/base/" });
    try {
      expect(receiver.listenUrl).toBe(`http://127.0.0.1:${port}`);
      expect(receiver.route().url).toMatch(/^https:\/\/hooks\.example\.test\/base\/hooks\/hook_/);
    } finally {
      await receiver.close();
    }
  });

  it("verifies signatures over the raw bytes with the SDK verifier, not re-serialized JSON", async () => {
    const body = Buffer.from('{"type":"job.succeeded", "data":{}}');
    const headers = { "webhook-id": "evt_1", "webhook-timestamp": "1700000000", "webhook-signature": `v1,bogus ${signWebhook(SECRET, "evt_1", "1700000000", body)}` };
    expect(await checkWebhookSignature(SECRET, headers, body)).toBeUndefined();
    const reserialized = Buffer.from(JSON.stringify(JSON.parse(body.toString())));
    expect(await checkWebhookSignature(SECRET, headers, reserialized)).toMatch(/no_matching_signature/);
    expect(await checkWebhookSignature(SECRET, { ...headers, "webhook-id": "evt_2" }, body)).toMatch(/no_matching_signature/);
  });
});

describe("http recorder", () => {
  it("masks secrets", () => {
    expect(maskSecrets("Bearer abcd1234 and abcd1234", ["abcd1234"])).toBe("Bearer **** and ****");
    expect(maskSecrets("short", ["ab"])).toBe("short");
  });

  it("records a refused connection as a NetworkFailure with evidence", async () => {
    const port = await freePort();
    const http = createHttpRecorder({ baseUrl: `http://127.0.0.1:${port}`, token: "t0k3n", secrets: ["t0k3n"], signal: new AbortController().signal });
    const error = await http.request("GET", "/v1/jobs").catch((e: unknown) => e);
    expect(error).toBeInstanceOf(NetworkFailure);
    expect(http.exchanges[0]).toMatchObject({ method: "GET", status: undefined, requestHeaders: { authorization: "Bearer ****" } });
    expect(http.exchanges[0]!.error).toBeTruthy();
  });
});
