// #region doc
// app/api/webhooks/async-jobs/route.ts (Next.js App Router)
import { webhookHandler } from "async-jobs/webhooks";

export const POST = webhookHandler(process.env.ASYNC_JOBS_WEBHOOK_SECRET!, async (event) => {
  switch (event.type) {
    case "job.succeeded":
      console.log("result", event.data.result);
      break;
    case "job.failed":
      console.error("failed", event.data.error?.code);
      break;
    case "job.canceled":
      break;
  }
});
// #endregion
