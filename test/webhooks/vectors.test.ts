// The Standard Webhooks reference libraries' cases, as data (test/fixtures/webhooks).
import { describe, expect, it } from "vitest";
import {
  isWebhookVerificationError,
  signWebhook,
  verifyWebhookSignature,
} from "async-jobs/webhooks";
import { cryptoModes, vectors } from "./fixtures.ts";

async function outcome(run: () => Promise<unknown>): Promise<string> {
  try {
    await run();
    return "ok";
  } catch (error) {
    if (isWebhookVerificationError(error)) return error.reason;
    throw error;
  }
}

describe.each(cryptoModes)("Standard Webhooks vectors (crypto: %s)", (crypto) => {
  it.each(vectors.sign)("$name", async (v) => {
    const headers = await signWebhook(
      { id: v.id, timestamp: v.timestamp, body: v.payload },
      v.secret,
      { crypto },
    );
    expect(headers).toEqual({
      "webhook-id": v.id,
      "webhook-timestamp": String(v.timestamp),
      "webhook-signature": v.expected,
    });
  });

  it.each(vectors.verify)("$name → $expect", async (v) => {
    const headers: Record<string, string> = {
      "webhook-id": vectors.id,
      "webhook-timestamp": String(vectors.timestamp),
      "webhook-signature": vectors.signature,
    };
    for (const [name, value] of Object.entries(v.headers ?? {})) {
      if (value === null) delete headers[name];
      else headers[name] = value;
    }
    const body = v.payload ?? vectors.payload;
    const result = await outcome(async () => {
      const text = await verifyWebhookSignature(
        { body, headers },
        v.secret ?? vectors.secret,
        { now: new Date((v.now ?? vectors.timestamp) * 1000), crypto },
      );
      expect(text).toBe(body);
    });
    expect(result).toBe(v.expect);
  });
});
