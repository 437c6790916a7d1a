import { WebhookVerificationError } from "../errors.ts";
import { decodeBase64 } from "./base64.ts";
import { hmacSha256, importWebhookKey, type WebhookCryptoMode } from "./hmac.ts";
import { secretList, type WebhookSecrets } from "./secret.ts";
import { readWebhookHeader, type WebhookHeaders } from "./webhook-headers.ts";

/**
 * What a receiver got: the raw body bytes (not re-serialised JSON) and the headers.
 *
 * @example
 * const request: WebhookRequest = { body: await req.text(), headers: req.headers }
 */
export interface WebhookRequest {
  /** The raw body exactly as received. */
  body: string | Uint8Array | ArrayBuffer;
  headers: WebhookHeaders;
}

/**
 * Options of `verifyWebhook` and `verifyWebhookSignature`.
 *
 * @example
 * await verifyWebhook(request, secret, { toleranceSeconds: 60 })
 */
export interface VerifyWebhookOptions {
  /**
   * How far `webhook-timestamp` may be from `now`, in whole seconds, either way (inclusive).
   * @default 300
   */
  toleranceSeconds?: number;
  /**
   * The receiver's clock.
   * @default new Date()
   */
  now?: Date;
  /**
   * HMAC implementation; see `WebhookCryptoMode`.
   * @default "auto"
   */
  crypto?: WebhookCryptoMode;
}

/**
 * The defaults of `VerifyWebhookOptions` (spec §3: a 5-minute window).
 *
 * @example
 * const tolerance = defaultVerifyWebhookOptions.toleranceSeconds // 300
 */
export const defaultVerifyWebhookOptions = {
  toleranceSeconds: 300,
  crypto: "auto",
} as const satisfies VerifyWebhookOptions;

const decoder = /* @__PURE__ */ new TextDecoder("utf-8", { ignoreBOM: true });

function fail(reason: WebhookVerificationError["reason"], message: string): never {
  throw new WebhookVerificationError(reason, message);
}

/**
 * Checks a webhook's signature and time window (Standard Webhooks) and returns the raw body
 * as a string, unparsed: for integrators with their own payload types. Several secrets may
 * be given during a rotation; any `v1,` signature made with any of them is accepted.
 *
 * @example
 * const text = await verifyWebhookSignature({ body, headers }, process.env.WEBHOOK_SECRET)
 * const payload = JSON.parse(text) as MyPayload
 */
export async function verifyWebhookSignature(
  request: WebhookRequest,
  secret: WebhookSecrets,
  options: VerifyWebhookOptions = {},
): Promise<string> {
  // Secrets first: a misconfigured receiver must fail the same way whatever the request.
  const keys = secretList(secret).map((s) => importWebhookKey(s));
  const { headers, body } = request;
  const id = readWebhookHeader(headers, "webhook-id");
  const timestamp = readWebhookHeader(headers, "webhook-timestamp");
  // Repeated signature headers are more candidates, as if space-separated.
  const signatures = readWebhookHeader(headers, "webhook-signature", " ");
  if (!id || !timestamp || !signatures) {
    fail("missing_header", "Missing webhook-id, webhook-timestamp or webhook-signature");
  }
  // All digits: "1e9", " 12", "-5" or "12.5" are refused, not coerced by Number().
  if (!/^\d{1,15}$/.test(timestamp)) {
    fail("missing_header", "webhook-timestamp is not unix seconds");
  }
  const tolerance = options.toleranceSeconds ?? defaultVerifyWebhookOptions.toleranceSeconds;
  const now = Math.floor((options.now ? options.now.getTime() : Date.now()) / 1000);
  const age = now - Number(timestamp);
  // Written as !(… <= …) so that a NaN (an invalid `now` or tolerance) fails closed.
  if (!(age <= tolerance)) fail("timestamp_too_old", `webhook-timestamp is ${age} s old`);
  if (!(-age <= tolerance)) fail("timestamp_too_new", `webhook-timestamp is ${-age} s ahead`);

  // Compare decoded MACs, so only the 32 bytes matter; v1a (asymmetric) and unknown
  // versions are skipped. A ", " left by a joined repeat header is tolerated.
  const candidates: Uint8Array[] = [];
  for (const token of signatures.split(" ")) {
    if (!token.startsWith("v1,")) continue;
    const mac = decodeBase64(token.slice(3, token.endsWith(",") ? -1 : undefined));
    if (mac?.length === 32) candidates.push(mac);
  }
  const bytes =
    typeof body === "string" || ArrayBuffer.isView(body) ? body : new Uint8Array(body);
  if (candidates.length > 0) {
    const mode = options.crypto ?? defaultVerifyWebhookOptions.crypto;
    for (const key of keys) {
      const expected = await hmacSha256(key, `${id}.${timestamp}.`, bytes, mode);
      for (const candidate of candidates) {
        // Constant time: no early exit on the first differing byte.
        let diff = 0;
        for (let i = 0; i < 32; i++) diff |= expected[i]! ^ candidate[i]!;
        if (diff === 0) return typeof bytes === "string" ? bytes : decoder.decode(bytes);
      }
    }
  }
  return fail("no_matching_signature", "No signature matches");
}
