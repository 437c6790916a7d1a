// Both HMAC paths, selected through the `crypto` option (no global patching): "auto" is
// node:crypto on this Node, "web" is Web Crypto. They must agree byte for byte.
import { createHmac } from "node:crypto";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { signWebhook, verifyWebhookSignature, webhookCryptoBackend } from "async-jobs/webhooks";
import { NOW_S, SECRET } from "./fixtures.ts";

describe("crypto paths", () => {
  it("auto resolves to node:crypto here (Node ≥ 20.16 has process.getBuiltinModule)", () => {
    expect(typeof process.getBuiltinModule).toBe("function");
    expect(webhookCryptoBackend()).toBe("node");
    expect(webhookCryptoBackend("web")).toBe("web");
  });

  it("node and web paths produce the same signature as node:crypto computed directly", async () => {
    await fc.assert(
      fc.asyncProperty(fc.uint8Array({ maxLength: 3000 }), fc.string({ minLength: 1, maxLength: 20 }).filter((s) => /^[\x21-\x7e]+$/.test(s)), async (body, id) => {
        const key = Buffer.from(SECRET.slice(6), "base64");
        const expected = `v1,${createHmac("sha256", key).update(`${id}.${NOW_S}.`).update(body).digest("base64")}`;
        const viaNode = await signWebhook({ id, timestamp: NOW_S, body }, SECRET, { crypto: "auto" });
        const viaWeb = await signWebhook({ id, timestamp: NOW_S, body }, SECRET, { crypto: "web" });
        expect(viaNode["webhook-signature"]).toBe(expected);
        expect(viaWeb["webhook-signature"]).toBe(expected);
      }),
      { numRuns: 100 },
    );
  });

  it("what one path signs the other verifies", async () => {
    const body = "x".repeat(5000);
    const now = new Date(NOW_S * 1000);
    const byNode = await signWebhook({ id: "e", timestamp: NOW_S, body }, SECRET, { crypto: "auto" });
    const byWeb = await signWebhook({ id: "e", timestamp: NOW_S, body }, SECRET, { crypto: "web" });
    await expect(verifyWebhookSignature({ body, headers: byNode }, SECRET, { now, crypto: "web" })).resolves.toBe(body);
    await expect(verifyWebhookSignature({ body, headers: byWeb }, SECRET, { now, crypto: "auto" })).resolves.toBe(body);
  });
});
