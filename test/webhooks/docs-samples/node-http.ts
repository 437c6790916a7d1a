// #region doc
import { createServer } from "node:http";
import { isWebhookVerificationError } from "async-jobs/webhooks";
import { PayloadTooLargeError, verifyNodeWebhook } from "async-jobs/webhooks/node";

const server = createServer(async (req, res) => {
  try {
    // The default limit fits the largest event the server sends (DEFAULT_WEBHOOK_BODY_LIMIT).
    const event = await verifyNodeWebhook(req, process.env.ASYNC_JOBS_WEBHOOK_SECRET!);
    console.log(event.type, event.data.id);
    res.writeHead(204).end();
  } catch (error) {
    if (error instanceof PayloadTooLargeError) return void res.writeHead(413).end();
    if (!isWebhookVerificationError(error)) throw error;
    res.writeHead(400).end(error.reason);
  }
});
// #endregion

export { server };
