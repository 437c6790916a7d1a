// #region doc
import { verifyWebhook, type WebhookRequest } from "async-jobs/webhooks";

// During a rotation, accept both secrets; drop the old one once the server signs with the
// new one only. While both are configured on the server, each request carries two
// signatures ("v1,… v1,…") and either secret verifies it.
const secrets = [process.env.WEBHOOK_SECRET_NEW!, process.env.WEBHOOK_SECRET_OLD!].filter(Boolean);

export async function receive(request: WebhookRequest) {
  return verifyWebhook(request, secrets);
}
// #endregion
