import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createHostBackoff, nextAttemptAt } from "../../src/webhooks/delivery-schedule.ts";
import { eventually, OTHER_TOKEN, startTestServer, type TestServer } from "../support/test-server.ts";

/** A loopback receiver; `handle` decides per request. */
async function startReceiver(handle: (req: IncomingMessage, res: ServerResponse) => void) {
  const server: Server = createServer(handle);
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  const port = (server.address() as { port: number }).port;
  return {
    server,
    url: (path: string) => `http://127.0.0.1:${port}${path}`,
    async close() {
      server.closeAllConnections();
      await new Promise((r) => server.close(r));
    },
  };
}

let t: TestServer;
let tarpitOpen = 0;
let tarpitEnded = 0;
const tarpit = await startReceiver((req) => {
  // Reads the event and never answers: each delivery holds its slot until the 15 s timeout.
  tarpitOpen++;
  req.resume();
  req.socket.once("close", () => {
    tarpitOpen--;
    tarpitEnded++;
  });
});
const arrivals: { path: string; at: number; tarpitOpen: number; tarpitEnded: number }[] = [];
const scripted = new Map<string, { status: number; headers?: Record<string, string> }[]>();
const receiver = await startReceiver((req, res) => {
  req.resume();
  req.on("end", () => {
    arrivals.push({ path: req.url!, at: Date.now(), tarpitOpen, tarpitEnded });
    const next = scripted.get(req.url!)?.shift() ?? { status: 204 };
    res.writeHead(next.status, next.headers).end();
  });
});

beforeAll(async () => {
  t = await startTestServer(["--webhook-schedule-ms", "0,50,100", "--worker-concurrency", "32"]);
});
afterAll(async () => {
  await tarpit.close(); // ends the held deliveries at once
  await t.close();
  await receiver.close();
});

describe("webhook head-of-line blocking (hostile review finding 6)", () => {
  it("one tenant's tar-pit receiver takes at most its own slots: another tenant's event goes out meanwhile", async () => {
    for (let i = 0; i < 20; i++) {
      const r = await t.request("POST", "/v1/jobs", { body: { type: "conformance.echo", input: {}, webhook: { url: tarpit.url(`/a${i}`) } } });
      expect(r.status).toBe(202);
    }
    await eventually(async () => tarpitOpen, (n) => n >= 4);
    await t.request("POST", "/v1/jobs", {
      token: OTHER_TOKEN,
      body: { type: "conformance.echo", input: {}, webhook: { url: receiver.url("/b") } },
    });
    // Well inside the tar-pit's 15 s timeout: B may not wait for A's slots to come free.
    const [arrival] = await eventually(async () => arrivals.filter((a) => a.path === "/b"), (l) => l.length === 1, 10_000);
    expect(arrival!.tarpitEnded).toBe(0); // no held delivery of A had ended yet
    expect(arrival!.tarpitOpen).toBeLessThanOrEqual(4); // A had only its own slots
  });

  it("honours a receiver's Retry-After on 503 and 429 over a shorter schedule", async () => {
    scripted.set("/busy", [{ status: 503, headers: { "retry-after": "1" } }, { status: 429, headers: { "retry-after": "1" } }]);
    const { body: job } = await t.request("POST", "/v1/jobs", {
      token: OTHER_TOKEN, // acme's slots are held by its tar-pit
      body: { type: "conformance.echo", input: {}, webhook: { url: receiver.url("/busy") } },
    });
    const got = await eventually(async () => arrivals.filter((a) => a.path === "/busy"), (l) => l.length === 3);
    // The schedule alone would retry after ~50 and ~100 ms.
    expect(got[1]!.at - got[0]!.at).toBeGreaterThanOrEqual(1000);
    expect(got[2]!.at - got[1]!.at).toBeGreaterThanOrEqual(1000);
    const listed = await eventually(() => t.request("GET", `/v1/jobs/${job.id}/deliveries`, { token: OTHER_TOKEN }), (r) => r.body.data.length === 3);
    expect(listed.body.data.map((d: { status_code: number }) => d.status_code)).toEqual([503, 429, 204]);
  });
});

describe("retry schedule", () => {
  it("jitters each delay by ±20 %, never before the receiver's Retry-After or the host's backoff", () => {
    const at = (random: number, extra = {}) => nextAttemptAt({ schedule: [0, 10_000], attempts: 1, now: 0, random: () => random, ...extra });
    expect(at(0)).toBe(8_000);
    expect(at(1)).toBe(12_000);
    expect(at(0.5, { retryAfterMs: 60_000 })).toBe(60_000);
    expect(at(0.5, { retryAfterMs: 10 * 86_400_000 })).toBe(86_400_000);
    expect(at(0.5, { hostBackoffUntil: 30_000 })).toBe(30_000);
    expect(nextAttemptAt({ schedule: [0, 10_000], attempts: 2, now: 0 })).toBeNull();
  });

  it("leaves a host alone after 3 failures in a row, doubling, until it answers", () => {
    const hosts = createHostBackoff({ baseMs: 1000, random: () => 1 });
    hosts.failed("h", 0);
    hosts.failed("h", 0);
    expect(hosts.until("h")).toBe(0);
    hosts.failed("h", 0);
    expect(hosts.until("h")).toBe(1000);
    hosts.failed("h", 0);
    expect(hosts.until("h")).toBe(2000);
    hosts.succeeded("h");
    expect(hosts.until("h")).toBe(0);
  });
});
