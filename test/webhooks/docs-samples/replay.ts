// A stand-in for your database: insert the id, answer whether it was new.
declare const db: { insertIfAbsent(table: string, id: string): Promise<boolean>; delete(table: string, id: string): Promise<void> };

// #region doc
import { createWebhookDedupe, webhookHandler, type WebhookDedupe } from "async-jobs/webhooks";

// One process: an in-memory LRU of the last 10,000 webhook ids.
export const single = webhookHandler(process.env.ASYNC_JOBS_WEBHOOK_SECRET!, handle, {
  dedupe: createWebhookDedupe({ max: 10_000 }),
});

// Several instances: back the dedupe with shared storage.
const shared: WebhookDedupe = {
  seen: async (id) => !(await db.insertIfAbsent("webhook_ids", id)),
  forget: (id) => db.delete("webhook_ids", id),
};
export const scaled = webhookHandler(process.env.ASYNC_JOBS_WEBHOOK_SECRET!, handle, { dedupe: shared });
// #endregion

async function handle() {}
