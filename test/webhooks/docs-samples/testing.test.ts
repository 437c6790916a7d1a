// This sample is also a real test: vitest runs it with the rest of test/webhooks.
// #region doc
import { describe, expect, it } from "vitest";
import { createTestWebhook, signWebhook, webhookHandler, type JobEvent } from "async-jobs/webhooks";

const secret = "whsec_" + btoa("a test secret of 24+ bytes!!");
const received: JobEvent[] = [];
const handler = webhookHandler(secret, (event) => void received.push(event));

const event: JobEvent = {
  type: "job.succeeded",
  timestamp: "2026-01-02T03:04:06Z",
  data: {
    id: "job_1", type: "report.render", status: "succeeded", input: {}, metadata: {},
    progress: null, attempt: 1, max_attempts: 3, result: { url: "https://example.com/r.pdf" },
    error: null, cancel_requested: false, webhook: { url: "https://example.com/hook" },
    created_at: "2026-01-02T03:04:05Z", updated_at: "2026-01-02T03:04:06Z",
    started_at: "2026-01-02T03:04:05Z", completed_at: "2026-01-02T03:04:06Z",
    expires_at: "2026-01-09T03:04:06Z",
  },
};

describe("my webhook receiver", () => {
  it("accepts a signed event", async () => {
    const response = await handler(await createTestWebhook(event, secret));
    expect(response.status).toBe(204);
    expect(received).toEqual([event]);
  });

  it("refuses a stale one", async () => {
    const stale = await createTestWebhook(event, secret, { timestamp: new Date(Date.now() - 3_600_000) });
    expect((await handler(stale)).status).toBe(400);
  });

  it("signs by hand for other HTTP clients", async () => {
    const body = JSON.stringify(event);
    const headers = await signWebhook({ id: "evt_1", timestamp: new Date(), body }, secret);
    const response = await handler(new Request("http://localhost/", { method: "POST", headers, body }));
    expect(response.status).toBe(204);
  });
});
// #endregion
