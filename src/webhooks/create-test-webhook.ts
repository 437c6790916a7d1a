import type { JobEvent } from "../types.ts";
import type { WebhookCryptoMode } from "./hmac.ts";
import type { WebhookSecrets } from "./secret.ts";
import { signWebhook } from "./sign-webhook.ts";

/**
 * Options of `createTestWebhook`.
 *
 * @example
 * await createTestWebhook(event, secret, { timestamp: new Date(Date.now() - 600_000) })
 */
export interface CreateTestWebhookOptions {
  /**
   * The `webhook-id`.
   * @default a random "msg_…" id
   */
  id?: string;
  /**
   * When the attempt was made.
   * @default new Date()
   */
  timestamp?: number | Date;
  /**
   * The request URL.
   * @default "http://localhost/webhooks"
   */
  url?: string;
  /** @default "auto" */
  crypto?: WebhookCryptoMode;
}

/**
 * A signed `POST` `Request` carrying `event`, as the server would send it: for testing a
 * receiver (a `webhookHandler`, a route handler, or `fetch` against a running server).
 *
 * @example
 * const response = await handler(await createTestWebhook(event, "whsec_…"))
 */
export async function createTestWebhook(
  event: JobEvent,
  secret: WebhookSecrets,
  options: CreateTestWebhookOptions = {},
): Promise<Request> {
  const body = JSON.stringify(event);
  const headers = await signWebhook(
    {
      id: options.id ?? `msg_${crypto.randomUUID().replaceAll("-", "")}`,
      timestamp: options.timestamp ?? new Date(),
      body,
    },
    secret,
    options,
  );
  return new Request(options.url ?? "http://localhost/webhooks", {
    method: "POST",
    headers: { ...headers, "content-type": "application/json" },
    body,
  });
}
