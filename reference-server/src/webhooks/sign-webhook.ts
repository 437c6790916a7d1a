// The one seam to the SDK's Standard Webhooks signer (spec §3): the server signs exactly as
// integrators verify. `signWebhook({ id, timestamp, body }, secrets)` → the three headers.
export { signWebhook, type WebhookSignatureHeaders } from "async-jobs/webhooks";
