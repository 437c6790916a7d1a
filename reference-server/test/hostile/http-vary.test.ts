import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startTestServer, type TestServer } from "../support/test-server.ts";

// Issue 13, finding 15: answers whose content depends on Prefer lacked `Vary: Prefer`
// (RFC 7240 §2), including 304.

let t: TestServer;
beforeAll(async () => {
  t = await startTestServer(["--no-worker"]);
});
afterAll(async () => {
  await t.close();
});

const varies = (headers: Headers) => (headers.get("vary") ?? "").split(",").map((s) => s.trim().toLowerCase());

describe("Vary: Prefer (spec §2)", () => {
  it("on submits, status reads and 304s, with or without Prefer", async () => {
    const plain = await t.request("POST", "/v1/jobs", { body: { type: "conformance.echo", input: {} } });
    expect(plain.status).toBe(202);
    expect(varies(plain.headers)).toContain("prefer");
    const waited = await t.request("POST", "/v1/jobs", { body: { type: "conformance.echo", input: {} }, headers: { prefer: "wait=0" } });
    expect(varies(waited.headers)).toContain("prefer");

    const read = await t.request("GET", `/v1/jobs/${plain.body.id}`);
    expect(read.status).toBe(200);
    expect(varies(read.headers)).toContain("prefer");
    const notModified = await t.request("GET", `/v1/jobs/${plain.body.id}`, { headers: { "if-none-match": read.headers.get("etag")!, prefer: "wait=1" } });
    expect(notModified.status).toBe(304);
    expect(varies(notModified.headers)).toContain("prefer");
  });
});
