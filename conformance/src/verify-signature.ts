import { createHmac, timingSafeEqual } from "node:crypto";

/** Why a webhook signature did not verify, or `undefined` when one signature matches. */
export type SignatureProblem = string | undefined;

/**
 * Checks a Standard Webhooks signature over the raw body bytes (CONTRACT §3): one of the
 * space-separated `v1,<base64>` entries must be HMAC-SHA256(secret bytes, "{id}.{timestamp}.{raw body}").
 *
 * @example
 * const problem = checkWebhookSignature("whsec_…", headers, rawBody); // undefined when valid
 */
export function checkWebhookSignature(secret: string, headers: Record<string, string>, rawBody: Uint8Array): SignatureProblem {
  const id = headers["webhook-id"];
  const timestamp = headers["webhook-timestamp"];
  const signature = headers["webhook-signature"];
  if (!id || !timestamp || !signature) return "webhook-id, webhook-timestamp and webhook-signature are required";
  const key = Buffer.from(secret.startsWith("whsec_") ? secret.slice("whsec_".length) : secret, "base64");
  const expected = createHmac("sha256", key)
    .update(Buffer.concat([Buffer.from(`${id}.${timestamp}.`), Buffer.from(rawBody)]))
    .digest();
  const entries = signature.split(" ").filter(Boolean);
  if (!entries.some((e) => e.startsWith("v1,"))) return `no v1 signature in ${JSON.stringify(signature)}`;
  for (const entry of entries) {
    if (!entry.startsWith("v1,")) continue;
    const given = Buffer.from(entry.slice(3), "base64");
    if (given.length === expected.length && timingSafeEqual(given, expected)) return undefined;
  }
  return "no v1 signature matches HMAC-SHA256 over {webhook-id}.{webhook-timestamp}.{raw body}";
}

/**
 * Signs like a Standard Webhooks sender (used by the self-tests' fake servers and mutants).
 *
 * @example
 * const header = signWebhook("whsec_…", "evt_1", "1700000000", body); // "v1,…"
 */
export function signWebhook(secret: string, id: string, timestamp: string, rawBody: Uint8Array | string): string {
  const key = Buffer.from(secret.startsWith("whsec_") ? secret.slice("whsec_".length) : secret, "base64");
  const mac = createHmac("sha256", key).update(`${id}.${timestamp}.`).update(rawBody).digest("base64");
  return `v1,${mac}`;
}
