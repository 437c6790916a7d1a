import { type Check, expect } from "../check.ts";
import { submitWithWebhook } from "../job-helpers.ts";
import { checkWebhookSignature } from "../verify-signature.ts";
import { asEvidence, deliveries, eventOf, FIRST_DELIVERY_MS } from "./webhooks.ts";

/**
 * spec §3.1.1 Lifecycle events (SHOULD: `webhook.events` is optional for a server).
 *
 * @example
 * await runConformance({ baseUrl, token, checks: lifecycleWebhookChecks });
 */
export const lifecycleWebhookChecks: Check[] = [
  {
    id: "webhooks.lifecycle-started",
    clause: "§3.1.1 Lifecycle events",
    level: "SHOULD",
    title: "A job submitted with webhook.events [job.started, job.succeeded] gets a signed job.started (a running job) before its signed job.succeeded",
    needs: ["echo", "webhook", "webhook-secret"],
    timeoutMs: 25_000,
    async run(ctx) {
      const route = ctx.receiver!.route([200, 200]);
      const { job, res } = await submitWithWebhook(ctx, route.url, { value: "lifecycle", duration_ms: 300 }, ["job.started", "job.succeeded"]);
      const chosen = (job.webhook as { events?: unknown } | null)?.events;
      expect(Array.isArray(chosen) && chosen.includes("job.started"), `the job's webhook must show the chosen events, got ${JSON.stringify(job.webhook)}`, res.exchange);
      const got = await deliveries(ctx, route, 2, FIRST_DELIVERY_MS + 5_000);
      const evidence = got.map((d) => asEvidence(d, route.url));
      const [first, second] = got.map(eventOf);
      expect(first?.type === "job.started", `the first event must be job.started, got ${JSON.stringify(first?.type)} then ${JSON.stringify(second?.type)}`, ...evidence);
      expect(first.data?.id === job.id && first.data.status === "running", `job.started must carry the running job, got status ${JSON.stringify(first.data?.status)}`, evidence[0]!);
      expect(second?.type === "job.succeeded" && second.data?.status === "succeeded", `the second event must be job.succeeded, got ${JSON.stringify(second?.type)}`, ...evidence);
      for (const [i, d] of got.entries()) {
        const problem = await checkWebhookSignature(ctx.settings.webhookSecret!, d.headers, d.rawBody);
        expect(problem === undefined, `signature check of event ${i + 1} failed: ${problem}`, evidence[i]!);
      }
      expect(got[0]!.headers["webhook-id"] !== got[1]!.headers["webhook-id"], "two events must have two webhook-ids", ...evidence);
    },
  },
];
