// Hono is not a dependency of this repo: the stand-in below has the shape of the Hono API
// used (app.post, c.req.raw is the Fetch Request), so the sample still type-checks.
declare class Hono<E extends { Bindings: object }> {
  post(path: string, handler: (c: { req: { raw: Request }; env: E["Bindings"] }) => Promise<Response>): void;
}

// #region doc
import { webhookHandler } from "async-jobs/webhooks";

const app = new Hono<{ Bindings: { ASYNC_JOBS_WEBHOOK_SECRET: string } }>();

app.post("/webhooks/async-jobs", (c) =>
  webhookHandler(c.env.ASYNC_JOBS_WEBHOOK_SECRET, async (event) => {
    console.log(event.type, event.data.id);
  })(c.req.raw),
);
// #endregion

export { app };
