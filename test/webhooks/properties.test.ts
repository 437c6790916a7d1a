// Property tests (fast-check): any valid signing verifies; any change to body, id, timestamp
// or signature fails.
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import {
  isWebhookVerificationError,
  signWebhook,
  verifyWebhookSignature,
  type WebhookRequest,
} from "async-jobs/webhooks";

const NOW_S = 1_767_323_046;
const now = new Date(NOW_S * 1000);

const secretArb = fc.uint8Array({ minLength: 24, maxLength: 64 }).map((b) => `whsec_${Buffer.from(b).toString("base64")}`);
const idArb = fc.stringMatching(/^[\x21-\x7e]{1,40}$/);
const bodyArb = fc.oneof(fc.string({ unit: "grapheme", maxLength: 300 }), fc.json());
const tsArb = fc.integer({ min: NOW_S - 300, max: NOW_S + 300 });

async function verifies(request: WebhookRequest, secret: string): Promise<boolean> {
  try {
    await verifyWebhookSignature(request, secret, { now });
    return true;
  } catch (error) {
    if (isWebhookVerificationError(error) && error.reason !== "invalid_secret") return false;
    throw error;
  }
}

describe("properties", () => {
  it("any valid signing verifies, for string and byte bodies", async () => {
    await fc.assert(
      fc.asyncProperty(secretArb, idArb, tsArb, bodyArb, fc.boolean(), async (secret, id, timestamp, text, asBytes) => {
        const body = asBytes ? new TextEncoder().encode(text) : text;
        const headers = await signWebhook({ id, timestamp, body }, secret);
        expect(await verifyWebhookSignature({ body, headers }, secret, { now })).toBe(text);
      }),
      { numRuns: 200 },
    );
  });

  it("any change to the body fails", async () => {
    await fc.assert(
      fc.asyncProperty(secretArb, idArb, bodyArb, bodyArb, async (secret, id, body, other) => {
        fc.pre(body !== other);
        const headers = await signWebhook({ id, timestamp: NOW_S, body }, secret);
        expect(await verifies({ body: other, headers }, secret)).toBe(false);
      }),
      { numRuns: 200 },
    );
  });

  it("any change to the id or timestamp fails", async () => {
    await fc.assert(
      fc.asyncProperty(secretArb, idArb, idArb, tsArb, tsArb, bodyArb, async (secret, id, id2, ts, ts2, body) => {
        fc.pre(id !== id2 || ts !== ts2);
        const headers = await signWebhook({ id, timestamp: ts, body }, secret);
        const changed = { ...headers, "webhook-id": id2, "webhook-timestamp": String(ts2) };
        expect(await verifies({ body, headers: changed }, secret)).toBe(false);
      }),
      { numRuns: 200 },
    );
  });

  it("any change to the signature text fails (including non-canonical base64 spellings)", async () => {
    await fc.assert(
      fc.asyncProperty(
        secretArb,
        bodyArb,
        fc.nat(),
        fc.constantFrom(..."ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/=, "),
        async (secret, body, at, char) => {
          const headers = await signWebhook({ id: "evt_1", timestamp: NOW_S, body }, secret);
          const sig = headers["webhook-signature"];
          // Change one character of the MAC part (after "v1,"). Replacing the final "=" by a
          // separator (" " or ",") leaves the same MAC without padding, which is not a change.
          const i = 3 + (at % (sig.length - 3));
          const tampered = sig.slice(0, i) + char + sig.slice(i + 1);
          fc.pre(tampered !== sig && !(i === sig.length - 1 && (char === " " || char === ",")));
          expect(await verifies({ body, headers: { ...headers, "webhook-signature": tampered } }, secret)).toBe(false);
        },
      ),
      { numRuns: 300 },
    );
  });

  it("a different secret never verifies", async () => {
    await fc.assert(
      fc.asyncProperty(secretArb, secretArb, bodyArb, async (secret, other, body) => {
        fc.pre(secret !== other);
        const headers = await signWebhook({ id: "evt_1", timestamp: NOW_S, body }, secret);
        expect(await verifies({ body, headers }, other)).toBe(false);
      }),
      { numRuns: 100 },
    );
  });
});
