import { describe, expect, it } from "vitest";
import {
  createTestWebhook,
  signWebhook,
  verifyWebhook,
  verifyWebhookSignature,
} from "async-jobs/webhooks";
import { events, NOW, NOW_S, OTHER_SECRET, SECRET } from "./fixtures.ts";

describe("signWebhook", () => {
  it("returns the three headers; a Date is truncated to whole seconds", async () => {
    const headers = await signWebhook(
      { id: "evt_1", timestamp: new Date(NOW.getTime() + 999), body: "{}" },
      SECRET,
    );
    expect(headers["webhook-id"]).toBe("evt_1");
    expect(headers["webhook-timestamp"]).toBe(String(NOW_S));
    expect(headers["webhook-signature"]).toMatch(/^v1,[A-Za-z0-9+/]{43}=$/);
  });

  it("signs string, bytes and ArrayBuffer bodies alike", async () => {
    const bytes = new TextEncoder().encode('{"ü":1}');
    const sig = async (body: string | Uint8Array | ArrayBuffer) =>
      (await signWebhook({ id: "evt_1", timestamp: NOW_S, body }, SECRET))["webhook-signature"];
    expect(await sig(bytes)).toBe(await sig('{"ü":1}'));
    expect(await sig(bytes.buffer)).toBe(await sig('{"ü":1}'));
  });

  it.each([
    ["shorter than 24 bytes", "whsec_" + Buffer.alloc(23).toString("base64")],
    ["not base64", "whsec_not base64"],
    ["empty", ""],
  ])("refuses a secret %s with invalid_secret", async (_, secret) => {
    await expect(signWebhook({ id: "e", timestamp: NOW_S, body: "" }, secret)).rejects.toMatchObject({
      reason: "invalid_secret",
    });
  });

  it("a 16-byte secret verifies (receivers are lenient on length) but does not sign", async () => {
    const short = "whsec_" + Buffer.alloc(16, 1).toString("base64");
    await expect(signWebhook({ id: "e", timestamp: NOW_S, body: "" }, short)).rejects.toMatchObject({
      reason: "invalid_secret",
    });
    // Signing with 24 bytes after a 16-byte use still checks the length.
    const headers = await signWebhook({ id: "e", timestamp: NOW_S, body: "" }, SECRET);
    await expect(verifyWebhookSignature({ body: "", headers }, short, { now: NOW })).rejects.toMatchObject({
      reason: "no_matching_signature",
    });
  });

  it.each([
    ["a negative timestamp", { id: "e", timestamp: -1 }],
    ["a fractional timestamp", { id: "e", timestamp: 1.5 }],
    ["an invalid Date", { id: "e", timestamp: new Date(Number.NaN) }],
    ["an empty id", { id: "", timestamp: 1 }],
    ["an id with a space", { id: "a b", timestamp: 1 }],
    ["an id with a newline", { id: "a\nb", timestamp: 1 }],
  ])("refuses %s with a TypeError", async (_, input) => {
    await expect(signWebhook({ ...input, body: "" }, SECRET)).rejects.toBeInstanceOf(TypeError);
  });
});

describe("createTestWebhook", () => {
  it("returns a signed POST Request that verifyWebhook accepts", async () => {
    const request = await createTestWebhook(events["job.succeeded"], [SECRET, OTHER_SECRET], {
      id: "evt_test",
      timestamp: NOW,
      url: "https://receiver.test/hook",
    });
    expect(request.method).toBe("POST");
    expect(request.url).toBe("https://receiver.test/hook");
    expect(request.headers.get("content-type")).toBe("application/json");
    expect(request.headers.get("webhook-id")).toBe("evt_test");
    const body = await request.text();
    const event = await verifyWebhook({ body, headers: request.headers }, OTHER_SECRET, { now: NOW });
    expect(event).toEqual(events["job.succeeded"]);
  });

  it("defaults to a random msg_ id and the current time", async () => {
    const a = await createTestWebhook(events["job.canceled"], SECRET);
    const b = await createTestWebhook(events["job.canceled"], SECRET);
    expect(a.headers.get("webhook-id")).toMatch(/^msg_[0-9a-f]{32}$/);
    expect(a.headers.get("webhook-id")).not.toBe(b.headers.get("webhook-id"));
    const event = await verifyWebhook({ body: await a.text(), headers: a.headers }, SECRET);
    expect(event.type).toBe("job.canceled");
  });
});
