import { WebhookVerificationError } from "../errors.ts";
import { decodeBase64 } from "./base64.ts";

/** A Standard Webhooks secret: `whsec_<base64>`, or the bare base64 (spec §3). */
export type WebhookSecret = string;

/**
 * Decodes a secret to its key bytes. The `whsec_` prefix is optional; anything that is not
 * strict base64 of at least one byte (or, with `minBytes`, of that many) is `invalid_secret`,
 * never a silently short key.
 *
 * @example
 * decodeWebhookSecret("whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw").length // 24
 */
export function decodeWebhookSecret(secret: WebhookSecret, minBytes = 1): Uint8Array<ArrayBuffer> {
  const key =
    typeof secret === "string"
      ? decodeBase64(secret.startsWith("whsec_") ? secret.slice(6) : secret)
      : undefined;
  if (!key || key.length < minBytes) {
    throw new WebhookVerificationError(
      "invalid_secret",
      `The secret is not base64 of ${minBytes}+ bytes`,
    );
  }
  return key;
}

/** One secret or several (during a rotation). */
export type WebhookSecrets = WebhookSecret | readonly WebhookSecret[];

/**
 * @internal Normalises `secret | secrets[]` and refuses an empty list.
 *
 * @example
 * secretList("whsec_…") // ["whsec_…"]
 */
export function secretList(secrets: WebhookSecrets): readonly WebhookSecret[] {
  const list = typeof secrets === "string" ? [secrets] : secrets;
  if (!Array.isArray(list) || list.length === 0) {
    throw new WebhookVerificationError("invalid_secret", "No secret");
  }
  return list;
}
