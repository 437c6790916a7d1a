import { randomBytes } from "node:crypto";
import { expectStatus } from "../assertions.ts";
import { type Check, expect, skip } from "../check.ts";
import { submitJob } from "../job-helpers.ts";

/**
 * spec §8.6 Trace context: an optional extension, so its check is a SHOULD (a server without it
 * gets a warning, never a failure). The suite's own reading of the W3C grammar, not the server's.
 *
 * @example
 * await runConformance({ baseUrl, token, checks: traceContextChecks });
 */
export const traceContextChecks: Check[] = [
  {
    id: "trace-context.webhook",
    clause: "§8.6 Trace context",
    level: "SHOULD",
    title: "A traceparent sent on submit comes back on the job's webhook with the same trace id, and tracestate with it; an invalid one is not refused",
    needs: ["echo", "webhook"],
    async run(ctx) {
      const invalid = await submitJob(ctx, { type: "conformance.echo", input: { duration_ms: 0 } }, { headers: { traceparent: "00-zz-not-a-trace-01" } });
      expectStatus(invalid, 202, "submit with an invalid traceparent (ignored, never refused)");
      const traceId = randomBytes(16).toString("hex");
      const traceparent = `00-${traceId}-${randomBytes(8).toString("hex")}-01`;
      const route = ctx.receiver!.route([200]);
      const res = await submitJob(ctx, { type: "conformance.echo", input: { value: "traced", duration_ms: 0 }, webhook: { url: route.url } }, { headers: { traceparent, tracestate: "conformance=1" } });
      if (res.status === 422 && (res.body as { code?: string } | undefined)?.code === "invalid_webhook_url") {
        skip(`the server refuses the receiver URL ${route.url} (invalid_webhook_url); run it with private webhooks allowed or pass --webhook-public-url`);
      }
      expectStatus(res, 202, "submit with traceparent and a webhook");
      const delivery = await route.waitFor(1, ctx.scaled(10_000), ctx.signal).then(
        ([d]) => d,
        (error: Error) => {
          if (error.name !== "DeliveryTimeout") throw error;
          expect(false, error.message, res.exchange);
        },
      );
      const received = delivery!.headers.traceparent;
      const parts = /^([0-9a-f]{2})-([0-9a-f]{32})-([0-9a-f]{16})-([0-9a-f]{2})$/.exec(received ?? "");
      expect(parts !== null, `the webhook must carry a W3C traceparent, got ${JSON.stringify(received)}`, res.exchange);
      expect(parts[2] === traceId, `the webhook's traceparent must keep the submit's trace id ${traceId}, got ${received}`, res.exchange);
      expect(delivery!.headers.tracestate === "conformance=1", `the webhook must carry the submit's tracestate "conformance=1", got ${JSON.stringify(delivery!.headers.tracestate)}`, res.exchange);
    },
  },
];
