import { encodeBase64 } from "./base64.ts";
import { hmacSha256, importWebhookKey, type WebhookCryptoMode } from "./hmac.ts";
import { secretList, type WebhookSecrets } from "./secret.ts";

/**
 * What to sign: the event id (the same on every retry), the attempt's time and the exact body.
 *
 * @example
 * const input: SignWebhookInput = { id: "evt_1", timestamp: new Date(), body: JSON.stringify(event) }
 */
export interface SignWebhookInput {
  id: string;
  /** Unix seconds, or a Date (truncated to whole seconds). */
  timestamp: number | Date;
  body: string | Uint8Array | ArrayBuffer;
}

/**
 * The three Standard Webhooks headers.
 *
 * @example
 * await fetch(url, { method: "POST", body, headers: { ...headers, "content-type": "application/json" } })
 */
// A type, not an interface, so it is assignable to the index signature of WebhookHeaders.
export type WebhookSignatureHeaders = {
  "webhook-id": string;
  "webhook-timestamp": string;
  "webhook-signature": string;
};

/** Signing needs a key of at least 24 bytes (spec §3: 24 to 64 random bytes). */
const MIN_SIGNING_KEY_BYTES = 24;

/**
 * Signs a webhook: with several secrets (a rotation) the signature header carries one `v1,`
 * signature per secret, space-separated. Used by the reference server and by integrators'
 * tests. A secret that is not strict base64 of at least 24 bytes throws `invalid_secret`.
 *
 * @example
 * const headers = await signWebhook({ id: "evt_1", timestamp: new Date(), body }, "whsec_…")
 */
export async function signWebhook(
  input: SignWebhookInput,
  secret: WebhookSecrets,
  options: { crypto?: WebhookCryptoMode } = {},
): Promise<WebhookSignatureHeaders> {
  const { id, timestamp, body } = input;
  const seconds =
    typeof timestamp === "number" ? timestamp : Math.floor(timestamp.getTime() / 1000);
  if (!Number.isSafeInteger(seconds) || seconds < 0) {
    throw new TypeError("timestamp must be whole unix seconds or a valid Date");
  }
  // The id is a header value and the start of the signed content: keep it printable.
  if (typeof id !== "string" || !/^[\x21-\x7e]+$/.test(id)) {
    throw new TypeError("id must be non-empty printable ASCII without spaces");
  }
  const keys = secretList(secret).map((s) => importWebhookKey(s, MIN_SIGNING_KEY_BYTES));
  const bytes = typeof body === "string" || ArrayBuffer.isView(body) ? body : new Uint8Array(body);
  const prefix = `${id}.${seconds}.`;
  const signatures: string[] = [];
  for (const key of keys) {
    signatures.push(`v1,${encodeBase64(await hmacSha256(key, prefix, bytes, options.crypto ?? "auto"))}`);
  }
  return {
    "webhook-id": id,
    "webhook-timestamp": String(seconds),
    "webhook-signature": signatures.join(" "),
  };
}
