// Deno's globals, declared for the type check (this repo compiles with Node types).
declare const Deno: {
  serve(handler: (request: Request) => Promise<Response>): unknown;
  env: { get(name: string): string | undefined };
};

// #region doc
// deno add npm:async-jobs
import { webhookHandler } from "async-jobs/webhooks";

Deno.serve(
  webhookHandler(Deno.env.get("ASYNC_JOBS_WEBHOOK_SECRET")!, async (event) => {
    console.log(event.type, event.data.id);
  }),
);
// #endregion
