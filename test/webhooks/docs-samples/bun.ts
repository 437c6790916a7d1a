// Bun's globals, declared for the type check (this repo compiles with Node types).
declare const Bun: {
  serve(options: { port: number; fetch: (request: Request) => Promise<Response> }): unknown;
};

// #region doc
import { webhookHandler } from "async-jobs/webhooks";

Bun.serve({
  port: 3000,
  fetch: webhookHandler(process.env.ASYNC_JOBS_WEBHOOK_SECRET!, async (event) => {
    console.log(event.type, event.data.id);
  }),
});
// #endregion
