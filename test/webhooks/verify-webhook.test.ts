import { describe, expect, expectTypeOf, it } from "vitest";
import { signWebhook, verifyWebhook, type JobEvent } from "async-jobs/webhooks";
import type { Job } from "async-jobs/types";
import { events, NOW, SECRET } from "./fixtures.ts";

async function deliver(body: string, options: { crypto?: "auto" | "web" } = {}) {
  const headers = await signWebhook({ id: "evt_1", timestamp: NOW, body }, SECRET);
  return verifyWebhook({ body, headers }, SECRET, { now: NOW, ...options });
}

describe("verifyWebhook", () => {
  it.each(Object.keys(events) as JobEvent["type"][])("returns a valid %s event", async (type) => {
    const event = await deliver(JSON.stringify(events[type]));
    expect(event).toEqual(events[type]);
    expect(event.type).toBe(type);
  });

  it("narrows on type and keeps fields a newer server adds", async () => {
    const sent = { ...events["job.failed"], extra: 1, data: { ...events["job.failed"].data, new_field: "x" } };
    const event = await deliver(JSON.stringify(sent), { crypto: "web" });
    expect(event).toEqual(sent);
    if (event.type === "job.failed") {
      expectTypeOf(event.data).toEqualTypeOf<Job>();
      expect(event.data.error?.code).toBe("boom");
    }
  });

  it.each([
    ["an empty body", ""],
    ["a body that is not JSON", "{"],
    ["JSON that is not an object", "42"],
    ["an unknown event type", JSON.stringify({ ...events["job.succeeded"], type: "job.started" })],
    ["a missing data", JSON.stringify({ type: "job.failed", timestamp: "x" })],
    ["a job without id", JSON.stringify({ ...events["job.succeeded"], data: { ...events["job.succeeded"].data, id: undefined } })],
    ["a wrong status", JSON.stringify({ ...events["job.succeeded"], data: { ...events["job.succeeded"].data, status: "done" } })],
    ["percent over 100", JSON.stringify({ ...events["job.succeeded"], data: { ...events["job.succeeded"].data, progress: { percent: 101, message: null } } })],
    ["a fractional attempt", JSON.stringify({ ...events["job.succeeded"], data: { ...events["job.succeeded"].data, attempt: 1.5 } })],
    ["non-string metadata", JSON.stringify({ ...events["job.succeeded"], data: { ...events["job.succeeded"].data, metadata: { a: 1 } } })],
    ["an error without code", JSON.stringify({ ...events["job.failed"], data: { ...events["job.failed"].data, error: { type: "about:blank", title: "x", status: 500 } } })],
  ])("%s → invalid_payload (after the signature checked out)", async (_, body) => {
    await expect(deliver(body)).rejects.toMatchObject({
      name: "WebhookVerificationError",
      reason: "invalid_payload",
    });
  });

  it("checks the signature before the payload", async () => {
    const body = "not json";
    const headers = await signWebhook({ id: "evt_1", timestamp: NOW, body: "other" }, SECRET);
    await expect(verifyWebhook({ body, headers }, SECRET, { now: NOW })).rejects.toMatchObject({
      reason: "no_matching_signature",
    });
  });

  it("returns the contract's JobEvent type", () => {
    expectTypeOf(verifyWebhook).returns.resolves.toEqualTypeOf<JobEvent>();
  });

  it("names the failing field in the message (the validator: event-schema.test.ts)", async () => {
    const body = JSON.stringify({ ...events["job.succeeded"], data: { ...events["job.succeeded"].data, attempt: "1" } });
    await expect(deliver(body)).rejects.toThrow("data.attempt must be an integer ≥ 0");
  });
});
