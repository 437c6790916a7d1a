import { WebhookVerificationError } from "../errors.ts";
import type { JobEvent } from "../types.ts";
import { parseJobEvent } from "./event-schema.ts";
import type { WebhookSecrets } from "./secret.ts";
import {
  verifyWebhookSignature,
  type VerifyWebhookOptions,
  type WebhookRequest,
} from "./verify-webhook-signature.ts";

/**
 * Verifies a job event webhook (signature, time window) and returns the validated event,
 * discriminated on `type`. Throws `WebhookVerificationError` with a `reason`.
 *
 * @example
 * const event = await verifyWebhook({ body: await request.text(), headers: request.headers }, secret)
 * if (event.type === "job.succeeded") console.log(event.data.result)
 */
export async function verifyWebhook(
  request: WebhookRequest,
  secret: WebhookSecrets,
  options?: VerifyWebhookOptions,
): Promise<JobEvent> {
  const text = await verifyWebhookSignature(request, secret, options);
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    throw new WebhookVerificationError("invalid_payload", "The webhook body is not JSON");
  }
  return parseJobEvent(json);
}
