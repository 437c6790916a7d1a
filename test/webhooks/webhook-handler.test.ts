import { describe, expect, it, vi } from "vitest";
import {
  createTestWebhook,
  createWebhookDedupe,
  DEFAULT_WEBHOOK_BODY_LIMIT,
  webhookHandler,
  type JobEvent,
} from "async-jobs/webhooks";
import { events, NOW, OTHER_SECRET, SECRET } from "./fixtures.ts";

describe("webhookHandler (Fetch API Request → Response)", () => {
  it("verifies, calls onEvent with the event and id, and answers 204", async () => {
    const onEvent = vi.fn();
    const handler = webhookHandler(SECRET, onEvent, { now: NOW });
    const request = await createTestWebhook(events["job.succeeded"], SECRET, { id: "evt_a", timestamp: NOW });
    const response = await handler(request);
    expect(response.status).toBe(204);
    expect(onEvent).toHaveBeenCalledTimes(1);
    const [event, context] = onEvent.mock.calls[0] as [JobEvent, { id: string; request: Request }];
    expect(event).toEqual(events["job.succeeded"]);
    expect(context.id).toBe("evt_a");
    expect(context.request).toBe(request);
  });

  it("takes createTestWebhook's job.started and job.progress events (spec §3.1.1) like the terminal ones", async () => {
    const onEvent = vi.fn();
    const handler = webhookHandler(SECRET, onEvent, { now: NOW });
    for (const type of ["job.started", "job.progress"] as const) {
      const response = await handler(await createTestWebhook(events[type], SECRET, { timestamp: NOW }));
      expect(response.status).toBe(204);
    }
    const received = onEvent.mock.calls.map(([event]) => event as JobEvent);
    expect(received.map((e) => [e.type, e.data.status])).toEqual([["job.started", "running"], ["job.progress", "running"]]);
    expect(received[1]).toEqual(events["job.progress"]);
  });

  it("answers 400 problem+json with the reason as code, without calling onEvent", async () => {
    const onEvent = vi.fn();
    const handler = webhookHandler(SECRET, onEvent, { now: NOW });
    const request = await createTestWebhook(events["job.failed"], OTHER_SECRET, { timestamp: NOW });
    const response = await handler(request);
    expect(response.status).toBe(400);
    expect(response.headers.get("content-type")).toBe("application/problem+json");
    expect(await response.json()).toMatchObject({ status: 400, code: "no_matching_signature" });
    expect(onEvent).not.toHaveBeenCalled();

    const stale = await createTestWebhook(events["job.failed"], SECRET, { timestamp: NOW.getTime() / 1000 - 301 });
    expect(await (await handler(stale)).json()).toMatchObject({ code: "timestamp_too_old" });
    const unsigned = new Request("http://x/", { method: "POST", body: "{}" });
    expect(await (await handler(unsigned)).json()).toMatchObject({ code: "missing_header" });
  });

  it("answers 405 with Allow: POST to other methods", async () => {
    const response = await webhookHandler(SECRET, vi.fn())(new Request("http://x/"));
    expect(response.status).toBe(405);
    expect(response.headers.get("allow")).toBe("POST");
  });

  it("throws on an invalid secret (our misconfiguration → 5xx, so the sender retries)", async () => {
    const request = await createTestWebhook(events["job.failed"], SECRET);
    await expect(webhookHandler("whsec_???", vi.fn())(request)).rejects.toMatchObject({
      reason: "invalid_secret",
    });
  });

  it("with a dedupe, acknowledges a repeated webhook-id without calling onEvent again", async () => {
    const onEvent = vi.fn();
    const handler = webhookHandler(SECRET, onEvent, { dedupe: createWebhookDedupe() });
    const first = await createTestWebhook(events["job.succeeded"], SECRET, { id: "evt_dup" });
    const retry = await createTestWebhook(events["job.succeeded"], SECRET, { id: "evt_dup" });
    expect((await handler(first)).status).toBe(204);
    expect((await handler(retry)).status).toBe(204);
    expect(onEvent).toHaveBeenCalledTimes(1);
  });

  it("a forged request cannot poison the dedupe: ids are recorded only after verification", async () => {
    const onEvent = vi.fn();
    const handler = webhookHandler(SECRET, onEvent, { dedupe: createWebhookDedupe() });
    const forged = await createTestWebhook(events["job.succeeded"], OTHER_SECRET, { id: "evt_x" });
    expect((await handler(forged)).status).toBe(400);
    const real = await createTestWebhook(events["job.succeeded"], SECRET, { id: "evt_x" });
    expect((await handler(real)).status).toBe(204);
    expect(onEvent).toHaveBeenCalledTimes(1);
  });

  it("when onEvent throws, the error propagates and the id is forgotten so a retry gets through", async () => {
    const onEvent = vi.fn().mockRejectedValueOnce(new Error("db down")).mockResolvedValue(undefined);
    const handler = webhookHandler(SECRET, onEvent, { dedupe: createWebhookDedupe() });
    const make = () => createTestWebhook(events["job.failed"], SECRET, { id: "evt_retry" });
    await expect(handler(await make())).rejects.toThrow("db down");
    expect((await handler(await make())).status).toBe(204);
    expect(onEvent).toHaveBeenCalledTimes(2);
  });

  it("answers 413 problem+json past its body limit, declared or streamed, without reading on or calling onEvent", async () => {
    const onEvent = vi.fn();
    const handler = webhookHandler(SECRET, onEvent, { limit: 64, now: NOW });
    const signed = await createTestWebhook(events["job.succeeded"], SECRET, { timestamp: NOW });
    const declared = await handler(signed);
    expect(declared.status).toBe(413);
    expect(await declared.json()).toMatchObject({ status: 413, code: "payload_too_large" });
    // A chunked body with no Content-Length: read until the limit, then cancelled.
    let pulled = 0;
    const endless = new ReadableStream<Uint8Array>({
      pull(controller) {
        pulled++;
        controller.enqueue(new Uint8Array(32));
      },
    });
    const streamed = await handler(new Request("http://x/", { method: "POST", body: endless, headers: signed.headers, duplex: "half" } as RequestInit));
    expect(streamed.status).toBe(413);
    expect(pulled).toBeLessThan(10);
    expect(onEvent).not.toHaveBeenCalled();
  });

  it("by default accepts an event as large as the reference server sends (2 MiB + 64 KiB), and no larger", async () => {
    expect(DEFAULT_WEBHOOK_BODY_LIMIT).toBe(2 * 1024 * 1024 + 64 * 1024);
    const onEvent = vi.fn();
    const handler = webhookHandler(SECRET, onEvent, { now: NOW });
    const big = (size: number) => ({ ...events["job.succeeded"], data: { ...events["job.succeeded"].data, result: { value: "x".repeat(size) } } }) as JobEvent;
    expect((await handler(await createTestWebhook(big(2 * 1024 * 1024), SECRET, { timestamp: NOW }))).status).toBe(204);
    expect((await handler(await createTestWebhook(big(DEFAULT_WEBHOOK_BODY_LIMIT), SECRET, { timestamp: NOW }))).status).toBe(413);
  });
});
