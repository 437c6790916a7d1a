// #region doc
import { webhookHandler } from "async-jobs/webhooks";

interface Env {
  ASYNC_JOBS_WEBHOOK_SECRET: string;
}

export default {
  fetch(request: Request, env: Env): Promise<Response> {
    // Cheap to create per request: decoded secrets and imported keys are cached.
    return webhookHandler(env.ASYNC_JOBS_WEBHOOK_SECRET, async (event) => {
      console.log(event.type, event.data.id);
    })(request);
  },
};
// #endregion
