import { createHmac } from "node:crypto";

// The one seam to the SDK's signer: once `async-jobs/webhooks` lands, this file becomes
//   export { signWebhook } from "async-jobs/webhooks";
// and nothing else changes. Until then, the same Standard Webhooks signature (CONTRACT §3).

/** The three Standard Webhooks headers. */
export interface WebhookSignatureHeaders {
  "webhook-id": string;
  "webhook-timestamp": string;
  "webhook-signature": string;
}

/**
 * Signs a webhook body with every secret (`whsec_<base64>`; several while rotating):
 * `v1,<base64 HMAC-SHA256(key, "{id}.{timestamp}.{body}")>`, space-separated.
 *
 * @example
 * signWebhook({ id: "evt_1", timestamp: 1795431602, body: '{"type":"job.succeeded"}' }, ["whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"]);
 */
export function signWebhook(
  message: { id: string; timestamp: number; body: string },
  secrets: readonly string[],
): WebhookSignatureHeaders {
  const content = `${message.id}.${message.timestamp}.${message.body}`;
  const signatures = secrets.map((secret) => {
    const key = Buffer.from(secret.startsWith("whsec_") ? secret.slice(6) : secret, "base64");
    return `v1,${createHmac("sha256", key).update(content).digest("base64")}`;
  });
  return {
    "webhook-id": message.id,
    "webhook-timestamp": String(message.timestamp),
    "webhook-signature": signatures.join(" "),
  };
}
