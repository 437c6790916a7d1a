// async-jobs/webhooks: Standard Webhooks signing and verification for job events
// (spec §3). No client, retry or upload code is reachable from here.
export { isWebhookVerificationError, WebhookVerificationError } from "../errors.ts";
export type { WebhookVerificationReason } from "../errors.ts";
export type { JobCanceledEvent, JobEvent, JobFailedEvent, JobSucceededEvent } from "../types.ts";
export { createTestWebhook, type CreateTestWebhookOptions } from "./create-test-webhook.ts";
export { createWebhookDedupe, type WebhookDedupe } from "./dedupe.ts";
export { parseJobEvent } from "./event-schema.ts";
export { webhookCryptoBackend, type WebhookCryptoMode } from "./hmac.ts";
export { decodeWebhookSecret, type WebhookSecret, type WebhookSecrets } from "./secret.ts";
export {
  signWebhook,
  type SignWebhookInput,
  type WebhookSignatureHeaders,
} from "./sign-webhook.ts";
export {
  defaultVerifyWebhookOptions,
  verifyWebhookSignature,
  type VerifyWebhookOptions,
  type WebhookRequest,
} from "./verify-webhook-signature.ts";
export { verifyWebhook } from "./verify-webhook.ts";
export { DEFAULT_WEBHOOK_BODY_LIMIT } from "./webhook-body-limit.ts";
export {
  webhookHandler,
  type WebhookContext,
  type WebhookHandlerOptions,
} from "./webhook-handler.ts";
export { readWebhookHeader, type WebhookHeaders } from "./webhook-headers.ts";
