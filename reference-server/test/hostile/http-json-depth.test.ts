import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startTestServer, type TestServer } from "../support/test-server.ts";

// Issue 13, finding 1: input nested thousands of levels deep was accepted (its event could never
// be serialized, poisoning lease recovery for every tenant) or answered 500. Every JSON body is
// now refused past 64 levels with 400 invalid_request, before it is parsed or stored.

let t: TestServer;
beforeAll(async () => {
  t = await startTestServer(["--no-worker"]);
});
afterAll(async () => {
  await t.close();
});

/** `depth` levels in all: the body object is level 1. */
const submitNested = (depth: number) =>
  `{"type":"conformance.echo","input":{"value":${"[".repeat(depth - 2)}${"]".repeat(depth - 2)}}}`;

describe("JSON nesting limit (spec §1)", () => {
  it("accepts a body exactly 64 levels deep", async () => {
    const res = await t.request("POST", "/v1/jobs", { raw: submitNested(64), headers: { "content-type": "application/json" } });
    expect(res.status).toBe(202);
  });

  it.each([65, 4_000, 5_000])("refuses a submit %i levels deep with 400 invalid_request, storing nothing", async (depth) => {
    const before = await t.request("GET", "/v1/jobs?limit=100");
    const res = await t.request("POST", "/v1/jobs", { raw: submitNested(depth), headers: { "content-type": "application/json" } });
    expect(res.status).toBe(400);
    expect(res.body).toMatchObject({ code: "invalid_request" });
    expect(res.body.detail).toMatch(/64 levels/);
    const after = await t.request("GET", "/v1/jobs?limit=100");
    expect(after.status).toBe(200);
    expect(after.body.data.length).toBe(before.body.data.length);
  });

  it("applies to every JSON body, not only submits", async () => {
    const deep = `{"filename":"f","content_type":"a/b","size":1,"x":${"[".repeat(100)}${"]".repeat(100)}}`;
    const upload = await t.request("POST", "/v1/uploads", { raw: deep, headers: { "content-type": "application/json" } });
    expect(upload.status).toBe(400);
    expect(upload.body.code).toBe("invalid_request");
    const complete = await t.request("POST", "/v1/uploads/upl_x/complete", { raw: "[".repeat(5000), headers: { "content-type": "application/merge-patch+json" } });
    expect(complete.status).toBe(400);
    expect(complete.body.code).toBe("invalid_request");
  });

  it("counts brackets inside strings as text, not nesting", async () => {
    const body = JSON.stringify({ type: "conformance.echo", input: { value: "[{".repeat(500) + '\\"' } });
    const res = await t.request("POST", "/v1/jobs", { raw: body, headers: { "content-type": "application/json" } });
    expect(res.status).toBe(202);
  });
});
