// #region doc
import Fastify from "fastify";
import { isWebhookVerificationError, verifyWebhook } from "async-jobs/webhooks";

const app = Fastify();

// An encapsulated scope: only the webhook route gets its JSON as a raw Buffer.
await app.register(async (scope) => {
  scope.addContentTypeParser("application/json", { parseAs: "buffer" }, (_req, body, done) => {
    done(null, body);
  });
  scope.post("/webhooks/async-jobs", async (request, reply) => {
    try {
      const event = await verifyWebhook(
        { body: request.body as Buffer, headers: request.headers },
        process.env.ASYNC_JOBS_WEBHOOK_SECRET!,
      );
      request.log.info({ type: event.type, job: event.data.id }, "job event");
      return reply.code(204).send();
    } catch (error) {
      if (!isWebhookVerificationError(error)) throw error;
      return reply.code(400).send({ code: error.reason });
    }
  });
});
// #endregion

export { app };
