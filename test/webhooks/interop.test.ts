// Interop both ways with the `standardwebhooks` npm package (the reference JS library).
import fc from "fast-check";
import { Webhook } from "standardwebhooks";
import { describe, expect, it } from "vitest";
import { signWebhook, verifyWebhook, verifyWebhookSignature } from "async-jobs/webhooks";
import { cryptoModes, events } from "./fixtures.ts";

// The package reads Date.now(), so these tests sign with the real clock.
const secretArb = fc.uint8Array({ minLength: 24, maxLength: 64 }).map((b) => `whsec_${Buffer.from(b).toString("base64")}`);
const idArb = fc.stringMatching(/^[\x21-\x7e]{1,40}$/);

describe.each(cryptoModes)("interop with standardwebhooks (crypto: %s)", (crypto) => {
  it("its signatures verify with ours", async () => {
    await fc.assert(
      fc.asyncProperty(secretArb, idArb, fc.string({ unit: "grapheme", maxLength: 500 }), async (secret, id, body) => {
        const now = new Date();
        const signature = new Webhook(secret).sign(id, now, body);
        const headers = {
          "webhook-id": id,
          "webhook-timestamp": String(Math.floor(now.getTime() / 1000)),
          "webhook-signature": signature,
        };
        expect(await verifyWebhookSignature({ body, headers }, secret, { crypto })).toBe(body);
      }),
      { numRuns: 100 },
    );
  });

  it("ours verify with it (one secret, and each secret of a rotation)", async () => {
    await fc.assert(
      fc.asyncProperty(secretArb, secretArb, idArb, fc.json(), async (secret, next, id, body) => {
        const headers = await signWebhook({ id, timestamp: new Date(), body }, [secret, next], { crypto });
        expect(new Webhook(secret).verify(body, headers)).toEqual(JSON.parse(body));
        expect(new Webhook(next).verify(body, headers)).toEqual(JSON.parse(body));
      }),
      { numRuns: 100 },
    );
  });

  it("a job event signed by it is a typed event for verifyWebhook", async () => {
    const secret = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw";
    const body = JSON.stringify(events["job.succeeded"]);
    const now = new Date();
    const headers = {
      "webhook-id": "msg_p5jXN8AQM9LWM0D4loKWxJek",
      "webhook-timestamp": String(Math.floor(now.getTime() / 1000)),
      "webhook-signature": new Webhook(secret).sign("msg_p5jXN8AQM9LWM0D4loKWxJek", now, body),
    };
    expect(await verifyWebhook({ body: Buffer.from(body), headers }, secret, { crypto })).toEqual(
      events["job.succeeded"],
    );
  });

  it("where it is lax we are strict: a secret with an invalid character", async () => {
    // standardwebhooks decodes it anyway (to some key); we refuse to guess.
    const lax = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaS!";
    const now = new Date();
    let theirs: string | undefined;
    try {
      theirs = new Webhook(lax).sign("e", now, "{}");
    } catch {
      theirs = undefined;
    }
    const headers = { "webhook-id": "e", "webhook-timestamp": String(Math.floor(now.getTime() / 1000)), "webhook-signature": theirs ?? "v1,AAAA" };
    await expect(verifyWebhookSignature({ body: "{}", headers }, lax, { crypto })).rejects.toMatchObject({
      reason: "invalid_secret",
    });
  });
});
