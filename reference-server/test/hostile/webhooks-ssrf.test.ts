import { createServer, type Server } from "node:http";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { postWebhook } from "../../src/webhooks/post-webhook.ts";
import { isPrivateAddress } from "../../src/webhooks/webhook-url-guard.ts";
import { eventually, startTestServer, type TestServer } from "../support/test-server.ts";

/** A loopback receiver that counts what reaches it; `/tarpit` never answers. */
async function startReceiver() {
  const hits: string[] = [];
  const server: Server = createServer((req, res) => {
    hits.push(req.url!);
    if (req.url === "/tarpit") return;
    req.resume();
    req.on("end", () => res.writeHead(204).end());
  });
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  return { server, hits, port: (server.address() as { port: number }).port };
}

// A name that looks public when the URL is submitted and points at loopback when delivered.
const PUBLIC_LOOKING = "93.184.215.14"; // never connected to: only the guard sees it
const resolutions: string[] = [];
async function rebindingResolver(host: string): Promise<string[]> {
  if (host === "unresolvable.test") throw Object.assign(new Error("no such host"), { code: "ENOTFOUND" });
  resolutions.push(host);
  return resolutions.filter((h) => h === host).length === 1 ? [PUBLIC_LOOKING] : ["127.0.0.1"];
}

let receiver: Awaited<ReturnType<typeof startReceiver>>;
let t: TestServer;
beforeAll(async () => {
  receiver = await startReceiver();
  t = await startTestServer([], { allowPrivateWebhooks: false }, { resolveHost: rebindingResolver });
});
afterAll(async () => {
  await t.close();
  receiver.server.closeAllConnections();
  await new Promise((r) => receiver.server.close(r));
});

const submit = (url: string) => t.request("POST", "/v1/jobs", { body: { type: "conformance.echo", input: {}, webhook: { url } } });
const deliveries = (jobId: string, count: number) =>
  eventually(() => t.request("GET", `/v1/jobs/${jobId}/deliveries`), (r) => r.body.data.length >= count);

describe("webhook SSRF (hostile review finding 2)", () => {
  it("a host re-pointed at loopback after submit (DNS rebinding) is re-checked at delivery and never reached", async () => {
    const submitted = await submit(`http://localhost:${receiver.port}/rebound`);
    expect(submitted.status).toBe(202);
    const listed = await deliveries(submitted.body.id, 1);
    expect(listed.body.data[0]).toMatchObject({ attempt: 1, status_code: null, error: "blocked_address" });
    // Every attempt checks again, and none reaches the receiver.
    const all = await deliveries(submitted.body.id, 3);
    expect(all.body.data.map((d: { error: string }) => d.error)).toEqual(["blocked_address", "blocked_address", "blocked_address"]);
    expect(receiver.hits).not.toContain("/rebound");
  });

  it("refuses the IPv6 forms that reach IPv4 or a private network, at submit", async () => {
    for (const host of ["[::ffff:7f00:1]", "[::7f00:1]", "[64:ff9b:1::a00:1]", "[2002:7f00:1::1]", "[64:ff9b::a9fe:a9fe]", "[2001:0:4136:e378:8000:63bf:3fff:fdd2]"]) {
      const refused = await submit(`http://${host}/x`);
      expect([refused.status, refused.body.code], host).toEqual([422, "invalid_webhook_url"]);
    }
  });

  it("shows a coarse error only: dns, connection_refused", async () => {
    const dns = await submit("http://unresolvable.test/x");
    expect(dns.body.code).toBe("invalid_webhook_url");
    const unguarded = await startTestServer([], {}, { resolveHost: rebindingResolver });
    try {
      const refused = await unguarded.request("POST", "/v1/jobs", { body: { type: "conformance.echo", input: {}, webhook: { url: "http://127.0.0.1:1/x" } } });
      const listed = await eventually(() => unguarded.request("GET", `/v1/jobs/${refused.body.id}/deliveries`), (r) => r.body.data.length >= 1);
      expect(listed.body.data[0].error).toBe("connection_refused");
      const gone = await unguarded.request("POST", "/v1/jobs", { body: { type: "conformance.echo", input: {}, webhook: { url: "http://unresolvable.test/x" } } });
      const lost = await eventually(() => unguarded.request("GET", `/v1/jobs/${gone.body.id}/deliveries`), (r) => r.body.data.length >= 1);
      expect(lost.body.data[0].error).toBe("dns");
    } finally {
      await unguarded.close();
    }
  });

  it("an answer that never comes is a timeout", async () => {
    const error = await postWebhook(`http://127.0.0.1:${receiver.port}/tarpit`, "{}", {}, { timeoutMs: 200, allowPrivate: true }).catch((e) => e);
    expect(error).toMatchObject({ name: "DeliveryError", code: "timeout" });
  });
});

describe("isPrivateAddress", () => {
  it.each([
    ["127.0.0.1", true], ["10.0.0.1", true], ["169.254.169.254", true], ["192.0.2.1", true], ["8.8.8.8", false],
    ["::1", true], ["::", true], ["fe80::1", true], ["fd00::1", true],
    ["::ffff:127.0.0.1", true], ["::ffff:7f00:1", true], ["::ffff:a9fe:a9fe", true], ["::ffff:808:808", false],
    ["::7f00:1", true], ["::808:808", true], ["64:ff9b::808:808", true], ["64:ff9b:1::808:808", true],
    ["2002:7f00:1::1", true], ["2002:a00:1::1", true], ["2002:808:808::1", false],
    ["2001:0:4136:e378:8000:63bf:3fff:fdd2", true], ["2606:4700:4700::1111", false], ["not-an-ip", true],
  ])("%s → %s", (address, expected) => {
    expect(isPrivateAddress(address)).toBe(expected);
  });
});
