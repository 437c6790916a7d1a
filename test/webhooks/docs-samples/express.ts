// #region doc
import express from "express";
import { isWebhookVerificationError } from "async-jobs/webhooks";
import { verifyNodeWebhook } from "async-jobs/webhooks/node";

const app = express();

// Mount the webhook route BEFORE any app-wide express.json(): the signature covers the raw
// bytes, and a JSON parser that runs first leaves nothing raw to verify.
app.post("/webhooks/async-jobs", express.raw({ type: "application/json" }), async (req, res) => {
  try {
    const event = await verifyNodeWebhook(req, process.env.ASYNC_JOBS_WEBHOOK_SECRET!);
    if (event.type === "job.succeeded") console.log("done", event.data.id, event.data.result);
    res.status(204).end();
  } catch (error) {
    if (!isWebhookVerificationError(error)) throw error;
    res.status(400).json({ code: error.reason });
  }
});

app.use(express.json()); // the rest of the app
// #endregion

export { app };
