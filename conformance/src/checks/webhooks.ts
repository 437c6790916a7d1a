import type { Delivery, Job } from "async-jobs/types";
import { expectProblem, expectStatus, isRfc3339Utc } from "../assertions.ts";
import { type Check, type CheckContext, expect } from "../check.ts";
import type { HttpResponse, RecordedExchange } from "../http-recorder.ts";
import { submitJob, submitWithWebhook } from "../job-helpers.ts";
import { checkWebhookSignature } from "../verify-signature.ts";
import type { ReceivedDelivery, WebhookRoute } from "../webhook-receiver.ts";

/** How long a first delivery may take to arrive. */
export const FIRST_DELIVERY_MS = 10_000;

/** A received delivery shown as evidence (the receiver's side of the exchange). */
export function asEvidence(d: ReceivedDelivery, url: string): RecordedExchange {
  const headers: Record<string, string> = {};
  for (const k of ["content-type", "webhook-id", "webhook-timestamp", "webhook-signature"]) if (d.headers[k] !== undefined) headers[k] = d.headers[k]!;
  const text = d.rawBody.toString("utf8");
  return {
    seq: 0,
    method: `${d.method} (received)`,
    url,
    requestHeaders: headers,
    requestBody: text.length > 2_000 ? `${text.slice(0, 2_000)}…` : text,
    status: d.answered,
    responseHeaders: {},
    responseBody: `(the suite's receiver answered ${d.answered})`,
    error: undefined,
    startedAt: new Date(d.receivedAt).toISOString(),
    durationMs: 0,
  };
}

/** The first `count` deliveries of a route, or a failed check showing what arrived. */
export async function deliveries(ctx: CheckContext, route: WebhookRoute, count: number, waitMs: number): Promise<readonly ReceivedDelivery[]> {
  try {
    return await route.waitFor(count, ctx.scaled(waitMs), ctx.signal);
  } catch (error) {
    if ((error as Error).name !== "DeliveryTimeout") throw error;
    expect(false, `${(error as Error).message}`, ...route.deliveries.map((d) => asEvidence(d, route.url)));
  }
}

function retryWaitMs(ctx: CheckContext): number {
  return (ctx.settings.webhookRetryWaitS ?? 0) * 1000 + 2_000;
}

async function deliveryLog(ctx: CheckContext, jobId: string, until: (rows: Delivery[]) => boolean): Promise<{ rows: Delivery[]; res: HttpResponse }> {
  const deadline = Date.now() + ctx.scaled(5_000);
  for (;;) {
    const res = await ctx.http.request("GET", `/v1/jobs/${encodeURIComponent(jobId)}/deliveries`);
    expectStatus(res, 200, "GET deliveries");
    const rows = (res.body as { data?: Delivery[] } | undefined)?.data;
    expect(Array.isArray(rows), "deliveries must be { data: [...] }", res.exchange);
    if (until(rows) || Date.now() > deadline) return { rows, res };
    await ctx.sleep(100, { unscaled: true });
  }
}

/** A delivery's body as JSON, or undefined when it is not JSON. */
export function eventOf(d: ReceivedDelivery): { type?: unknown; timestamp?: unknown; data?: Job } | undefined {
  try {
    return JSON.parse(d.rawBody.toString("utf8"));
  } catch {
    return undefined;
  }
}

/**
 * spec §3 Webhooks.
 *
 * @example
 * await runConformance({ baseUrl, token, checks: webhookChecks });
 */
export const webhookChecks: Check[] = [
  {
    id: "webhooks.delivered",
    clause: "§3 Webhooks",
    level: "MUST",
    title: "A job with webhook.url ends: one POST { type, timestamp = completed_at, data = the terminal job } with the webhook-* headers",
    needs: ["echo", "webhook"],
    async run(ctx) {
      const route = ctx.receiver!.route([200]);
      const { job } = await submitWithWebhook(ctx, route.url, { value: "hooked", duration_ms: 0 });
      const [d] = await deliveries(ctx, route, 1, FIRST_DELIVERY_MS);
      const ev = asEvidence(d!, route.url);
      expect(d!.method === "POST", `webhooks are POSTs, got ${d!.method}`, ev);
      expect((d!.headers["content-type"] ?? "").split(";")[0]!.trim().toLowerCase() === "application/json", `content-type must be application/json, got ${JSON.stringify(d!.headers["content-type"])}`, ev);
      expect(!!d!.headers["webhook-id"], "webhook-id is missing", ev);
      expect(/^\d+$/.test(d!.headers["webhook-timestamp"] ?? ""), `webhook-timestamp must be unix seconds, got ${JSON.stringify(d!.headers["webhook-timestamp"])}`, ev);
      expect(/(^|\s)v1,\S+/.test(d!.headers["webhook-signature"] ?? ""), `webhook-signature must hold v1,<base64> entries, got ${JSON.stringify(d!.headers["webhook-signature"])}`, ev);
      const event = eventOf(d!);
      expect(event !== undefined, "the webhook body is not JSON", ev);
      expect(event.type === "job.succeeded", `expected type job.succeeded, got ${JSON.stringify(event.type)}`, ev);
      expect(event.data?.id === job.id && event.data.status === "succeeded", "data must be the terminal job", ev);
      expect(isRfc3339Utc(event.timestamp) && Date.parse(event.timestamp as string) === Date.parse(event.data.completed_at ?? ""), `timestamp must be the job's completed_at (${event.data.completed_at}), got ${JSON.stringify(event.timestamp)}`, ev);
      expect(event.data.webhook?.url === route.url, "data.webhook.url must be the job's webhook URL", ev);
    },
  },
  {
    id: "webhooks.signature",
    clause: "§3 Webhooks (signature)",
    level: "MUST",
    title: "webhook-signature is v1,base64(HMAC-SHA256(secret, id.timestamp.raw body)) over the bytes sent",
    needs: ["echo", "webhook", "webhook-secret"],
    async run(ctx) {
      const route = ctx.receiver!.route([200]);
      await submitWithWebhook(ctx, route.url, { value: { text: "ünïcødé ✓", n: 1.5 }, duration_ms: 0 });
      const [d] = await deliveries(ctx, route, 1, FIRST_DELIVERY_MS);
      const problem = await checkWebhookSignature(ctx.settings.webhookSecret!, d!.headers, d!.rawBody);
      expect(problem === undefined, `signature check failed: ${problem}`, asEvidence(d!, route.url));
    },
  },
  {
    id: "webhooks.timestamp-fresh",
    clause: "§3 Webhooks (timestamp)",
    level: "MUST",
    title: "webhook-timestamp is the unix seconds of the attempt (within 5 minutes of the receiver's clock)",
    needs: ["echo", "webhook"],
    async run(ctx) {
      const route = ctx.receiver!.route([200]);
      await submitWithWebhook(ctx, route.url, { duration_ms: 0 });
      const [d] = await deliveries(ctx, route, 1, FIRST_DELIVERY_MS);
      const ts = Number(d!.headers["webhook-timestamp"]);
      const skew = Math.abs(ts - d!.receivedAt / 1000);
      expect(Number.isFinite(ts) && skew <= 300, `webhook-timestamp ${d!.headers["webhook-timestamp"]} is ${Math.round(skew)} s away from the receiver's clock`, asEvidence(d!, route.url));
    },
  },
  {
    id: "webhooks.event-types",
    clause: "§3 Webhooks",
    level: "MUST",
    title: "Failed and canceled jobs send job.failed and job.canceled with the terminal job",
    needs: ["echo", "webhook"],
    timeoutMs: 20_000,
    async run(ctx) {
      const failedRoute = ctx.receiver!.route([200]);
      const failed = await submitWithWebhook(ctx, failedRoute.url, { fail: { code: "conformance_failure", message: "x" } });
      const canceledRoute = ctx.receiver!.route([200]);
      const canceled = await submitWithWebhook(ctx, canceledRoute.url, { duration_ms: 30_000 });
      await ctx.http.request("POST", `/v1/jobs/${encodeURIComponent(canceled.job.id)}/cancel`);
      for (const [route, job, type, status] of [
        [failedRoute, failed.job, "job.failed", "failed"],
        [canceledRoute, canceled.job, "job.canceled", "canceled"],
      ] as const) {
        const [d] = await deliveries(ctx, route, 1, FIRST_DELIVERY_MS + 5_000);
        const event = eventOf(d!);
        expect(event?.type === type, `expected ${type}, got ${JSON.stringify(event?.type)}`, asEvidence(d!, route.url));
        expect(event.data?.id === job.id && event.data.status === status, `data must be the ${status} job`, asEvidence(d!, route.url));
      }
    },
  },
  {
    id: "webhooks.deliveries",
    clause: "§3 Webhooks (deliveries)",
    level: "MUST",
    title: "GET /v1/jobs/{id}/deliveries lists the attempt: event_id = webhook-id, attempt 1, status_code, state delivered",
    needs: ["echo", "webhook"],
    async run(ctx) {
      const route = ctx.receiver!.route([200]);
      const { job } = await submitWithWebhook(ctx, route.url, { duration_ms: 0 });
      const [d] = await deliveries(ctx, route, 1, FIRST_DELIVERY_MS);
      const { rows, res } = await deliveryLog(ctx, job.id, (r) => r.some((x) => x.state === "delivered"));
      expect(rows.length === 1, `one delivered attempt must be listed once, got ${rows.length} rows`, res.exchange, asEvidence(d!, route.url));
      const row = rows[0]!;
      expect(row.event_id === d!.headers["webhook-id"], `event_id ${row.event_id} must be the webhook-id ${d!.headers["webhook-id"]}`, res.exchange, asEvidence(d!, route.url));
      expect(row.attempt === 1 && row.status_code === 200 && row.state === "delivered", `expected attempt 1, status_code 200, state delivered, got ${JSON.stringify(row)}`, res.exchange);
      expect(isRfc3339Utc(row.at) && row.next_attempt_at === null, "at must be an RFC 3339 time and next_attempt_at null once delivered", res.exchange);
    },
  },
  {
    id: "webhooks.any-2xx",
    clause: "§3 Webhooks (delivery)",
    level: "MUST",
    title: "Any 2xx is success: no retry, state delivered",
    needs: ["echo", "webhook"],
    async run(ctx) {
      const route = ctx.receiver!.route([204]);
      const { job } = await submitWithWebhook(ctx, route.url, { duration_ms: 0 });
      await deliveries(ctx, route, 1, FIRST_DELIVERY_MS);
      await ctx.sleep(Math.min(retryWaitMs(ctx), 2_000));
      expect(route.deliveries.length === 1, `a 204 was retried (${route.deliveries.length} deliveries)`, ...route.deliveries.map((d) => asEvidence(d, route.url)));
      const { rows, res } = await deliveryLog(ctx, job.id, (r) => r.some((x) => x.state === "delivered"));
      expect(rows.length === 1 && rows[0]!.state === "delivered" && rows[0]!.status_code === 204, `a 204 answer must be listed as delivered, got ${JSON.stringify(rows)}`, res.exchange);
    },
  },
  {
    id: "webhooks.retry-after-5xx",
    clause: "§3 Webhooks (delivery)",
    level: "MUST",
    title: "A 5xx answer is retried, and the retry is listed in deliveries",
    needs: ["echo", "webhook", "webhook-retry"],
    timeoutMs: 30_000,
    async run(ctx) {
      const route = ctx.receiver!.route([500, 200]);
      const { job } = await submitWithWebhook(ctx, route.url, { duration_ms: 0 });
      await deliveries(ctx, route, 1, FIRST_DELIVERY_MS);
      await deliveries(ctx, route, 2, retryWaitMs(ctx));
      const { rows, res } = await deliveryLog(ctx, job.id, (r) => r.some((x) => x.state === "delivered"));
      expect(rows.length === 2, `two attempts must be listed, got ${rows.length}`, res.exchange);
      expect(rows[0]!.attempt === 1 && rows[0]!.status_code === 500 && rows[1]!.attempt === 2 && rows[1]!.status_code === 200, `expected attempts 1 (500) then 2 (200), got ${JSON.stringify(rows.map((r) => [r.attempt, r.status_code]))}`, res.exchange);
      expect(rows[1]!.state === "delivered", "the successful retry must be delivered", res.exchange);
    },
  },
  {
    id: "webhooks.same-id-on-retry",
    clause: "§3 Webhooks (webhook-id)",
    level: "MUST",
    title: "Every retry of an event carries the same webhook-id and the same body, freshly signed",
    needs: ["echo", "webhook", "webhook-retry"],
    timeoutMs: 40_000,
    async run(ctx) {
      const route = ctx.receiver!.route([500, 503, 200]);
      await submitWithWebhook(ctx, route.url, { duration_ms: 0 });
      await deliveries(ctx, route, 1, FIRST_DELIVERY_MS);
      const all = await deliveries(ctx, route, 3, retryWaitMs(ctx) * 2);
      const ids = new Set(all.map((d) => d.headers["webhook-id"]));
      expect(ids.size === 1, `retries carried ${ids.size} different webhook-ids: ${[...ids].join(", ")}`, ...all.map((d) => asEvidence(d, route.url)));
      const bodies = new Set(all.map((d) => d.rawBody.toString("utf8")));
      expect(bodies.size === 1, "retries of one event must carry the same event", ...all.map((d) => asEvidence(d, route.url)));
      if (ctx.settings.webhookSecret) {
        for (const d of all) {
          const problem = await checkWebhookSignature(ctx.settings.webhookSecret, d.headers, d.rawBody);
          expect(problem === undefined, `retry signature check failed: ${problem}`, asEvidence(d, route.url));
        }
      }
    },
  },
  {
    id: "webhooks.gone-stops",
    clause: "§3 Webhooks (delivery)",
    level: "MUST",
    title: "410 Gone stops retries of the event",
    needs: ["echo", "webhook", "webhook-retry"],
    timeoutMs: 30_000,
    async run(ctx) {
      const route = ctx.receiver!.route([410, 200]);
      const { job } = await submitWithWebhook(ctx, route.url, { duration_ms: 0 });
      await deliveries(ctx, route, 1, FIRST_DELIVERY_MS);
      await ctx.sleep(retryWaitMs(ctx));
      expect(route.deliveries.length === 1, `the event was sent again after 410 (${route.deliveries.length} deliveries)`, ...route.deliveries.map((d) => asEvidence(d, route.url)));
      const { rows, res } = await deliveryLog(ctx, job.id, (r) => r.length > 0 && r.at(-1)!.next_attempt_at === null);
      const last = rows.at(-1);
      expect(last !== undefined && last.status_code === 410 && last.next_attempt_at === null && last.state !== "pending", `after 410 the last attempt must show 410, no next attempt, not pending; got ${JSON.stringify(last)}`, res.exchange);
    },
  },
  {
    id: "webhooks.private-url-refused",
    clause: "§3 Webhooks (URL safety)",
    level: "MUST",
    title: "A server told to refuse them (--private-webhooks refused) answers 422 invalid_webhook_url for loopback, private, link-local and metadata URLs",
    needs: ["echo", "private-webhooks-refused"],
    async run(ctx) {
      // One of each kind a server-side request forgery aims at; nothing is ever delivered there.
      const urls = [
        "http://127.0.0.1:8080/hook", // loopback
        "http://localhost/hook", // a name that resolves to loopback
        "http://[::1]/hook", // IPv6 loopback
        "http://10.0.0.1/hook", // private (RFC 1918)
        "http://192.168.1.1/hook", // private (RFC 1918)
        "http://169.254.169.254/latest/meta-data/", // link-local: cloud metadata
      ];
      const answers = await Promise.all(
        urls.map((url) => submitJob(ctx, { type: "conformance.echo", input: { duration_ms: 0 }, webhook: { url } }).then((res) => ({ url, res }))),
      );
      for (const { url, res } of answers) expectProblem(res, 422, "invalid_webhook_url", `submit with webhook ${url}`);
    },
  },
];
