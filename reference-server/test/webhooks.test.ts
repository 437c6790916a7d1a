import { createServer, type IncomingHttpHeaders, type Server } from "node:http";
import { Webhook } from "standardwebhooks";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { generateWebhookSecret } from "../src/config.ts";
import { SECRET, eventually, startTestServer, type TestServer } from "./support/test-server.ts";
import { schemaMismatches } from "./support/spec-validator.ts";

interface Received {
  headers: IncomingHttpHeaders;
  body: string;
}

/** A webhook receiver on loopback whose answers the test scripts per path. */
async function startReceiver() {
  const received = new Map<string, Received[]>();
  const scripts = new Map<string, number[]>();
  const server: Server = createServer((req, res) => {
    let body = "";
    req.on("data", (c) => (body += c));
    req.on("end", () => {
      const list = received.get(req.url!) ?? [];
      list.push({ headers: req.headers, body });
      received.set(req.url!, list);
      const status = scripts.get(req.url!)?.shift() ?? 204;
      res.writeHead(status).end();
    });
  });
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  const port = (server.address() as { port: number }).port;
  return {
    url: (path: string) => `http://127.0.0.1:${port}${path}`,
    script: (path: string, statuses: number[]) => scripts.set(path, statuses),
    received: (path: string) => received.get(path) ?? [],
    close: () => new Promise<void>((r) => server.close(() => r())),
  };
}

let t: TestServer;
let receiver: Awaited<ReturnType<typeof startReceiver>>;
const NEW_SECRET = generateWebhookSecret();
beforeAll(async () => {
  receiver = await startReceiver();
  // Rotation: acme has two secrets (new first); globex gets its own, derived one.
  t = await startTestServer(["--webhook-secret", `acme:${NEW_SECRET},acme:${SECRET}`]);
});
afterAll(async () => {
  await t.close();
  await receiver.close();
});

const submit = (path: string, input: Record<string, unknown> = {}) =>
  t.request("POST", "/v1/jobs", { body: { type: "conformance.echo", input, webhook: { url: receiver.url(path) } } });

describe("webhooks (spec §3)", () => {
  it("POSTs a signed job.succeeded event that Standard Webhooks verifies, with either rotating secret", async () => {
    const { body: job } = await submit("/ok", { value: 42 });
    const [delivery] = await eventually(async () => receiver.received("/ok"), (l) => l.length === 1);
    const { headers, body } = delivery!;
    expect(headers["content-type"]).toBe("application/json");
    expect(headers["webhook-id"]).toMatch(/^evt_/);
    expect(Number(headers["webhook-timestamp"])).toBeGreaterThan(Date.now() / 1000 - 60);
    expect(String(headers["webhook-signature"]).split(" ")).toHaveLength(2);
    for (const secret of [NEW_SECRET, SECRET]) {
      const event = new Webhook(secret).verify(body, headers as Record<string, string>) as any;
      expect(event).toMatchObject({ type: "job.succeeded", data: { id: job.id, status: "succeeded", result: { value: 42 } } });
      expect(event.timestamp).toBe(event.data.completed_at);
    }
    expect(schemaMismatches("JobSucceededEvent", JSON.parse(body))).toEqual([]);
    const deliveries = await eventually(() => t.request("GET", `/v1/jobs/${job.id}/deliveries`), (r) => r.body.data[0]?.state === "delivered");
    expect(deliveries.body.data).toEqual([
      expect.objectContaining({ event_id: headers["webhook-id"], attempt: 1, status_code: 204, error: null, next_attempt_at: null, state: "delivered" }),
    ]);
  });

  it("retries failures on the schedule with the same webhook-id", async () => {
    receiver.script("/flaky", [500, 503]);
    const { body: job } = await submit("/flaky");
    const got = await eventually(async () => receiver.received("/flaky"), (l) => l.length === 3);
    expect(new Set(got.map((r) => r.headers["webhook-id"])).size).toBe(1);
    const deliveries = await eventually(() => t.request("GET", `/v1/jobs/${job.id}/deliveries`), (r) => r.body.data.length === 3);
    expect(deliveries.body.data.map((d: any) => [d.attempt, d.status_code, d.state])).toEqual([
      [1, 500, "pending"],
      [2, 503, "pending"],
      [3, 204, "delivered"],
    ]);
    expect(deliveries.body.data[0].next_attempt_at).not.toBeNull();
  });

  it("stops on 410 Gone", async () => {
    receiver.script("/gone", [410, 204]);
    const { body: job } = await submit("/gone");
    const deliveries = await eventually(() => t.request("GET", `/v1/jobs/${job.id}/deliveries`), (r) => r.body.data.length === 1);
    expect(deliveries.body.data[0]).toMatchObject({ status_code: 410, state: "failed", next_attempt_at: null });
    await new Promise((r) => setTimeout(r, 300));
    expect(receiver.received("/gone")).toHaveLength(1);
  });

  it("marks an event failed once the schedule is exhausted; an unreachable receiver records an error", async () => {
    receiver.script("/down", [500, 500, 500, 500]);
    const { body: job } = await submit("/down");
    const deliveries = await eventually(() => t.request("GET", `/v1/jobs/${job.id}/deliveries`), (r) => r.body.data.at(-1)?.state === "failed");
    expect(deliveries.body.data.map((d: any) => d.attempt)).toEqual([1, 2, 3]);
    const refused = await t.request("POST", "/v1/jobs", { body: { type: "conformance.echo", input: {}, webhook: { url: "http://127.0.0.1:1/x" } } });
    const failed = await eventually(() => t.request("GET", `/v1/jobs/${refused.body.id}/deliveries`), (r) => r.body.data.length >= 1);
    expect(failed.body.data[0]).toMatchObject({ status_code: null, attempt: 1 });
    expect(failed.body.data[0].error).toEqual(expect.any(String));
  });

  it("sends job.failed and job.canceled events", async () => {
    await submit("/fail", { fail: { code: "nope", message: "no" } });
    const [failed] = await eventually(async () => receiver.received("/fail"), (l) => l.length === 1);
    expect(schemaMismatches("JobFailedEvent", JSON.parse(failed!.body))).toEqual([]);
    expect(JSON.parse(failed!.body)).toMatchObject({ type: "job.failed", data: { status: "failed", error: { code: "nope" } } });
    const { body: job } = await submit("/cancel", { duration_ms: 10_000 });
    await t.request("POST", `/v1/jobs/${job.id}/cancel`);
    const [canceled] = await eventually(async () => receiver.received("/cancel"), (l) => l.length === 1);
    expect(schemaMismatches("JobCanceledEvent", JSON.parse(canceled!.body))).toEqual([]);
    expect(JSON.parse(canceled!.body)).toMatchObject({ type: "job.canceled", data: { id: job.id, status: "canceled" } });
  });
});
