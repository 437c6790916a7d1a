import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { problemRegistry } from "async-jobs/protocol";
import { startTestServer, type TestServer } from "../support/test-server.ts";

let t: TestServer;
beforeAll(async () => {
  t = await startTestServer(["--body-limit", "2048"]);
});
afterAll(async () => {
  await t.close();
});

const echo = { type: "conformance.echo", input: {} };

describe("conventions (spec §1)", () => {
  it("refuses a missing or invalid token with 401 and WWW-Authenticate: Bearer", async () => {
    for (const token of [null, "wrong"]) {
      const res = await t.request("GET", "/v1/jobs", { token });
      expect(res.status).toBe(401);
      expect(res.headers.get("www-authenticate")).toBe("Bearer");
      expect(res.body.code).toBe("unauthorized");
    }
    // Auth comes before body checks: an anonymous bad body learns nothing.
    const anon = await t.request("POST", "/v1/jobs", { token: null, raw: "{", headers: { "content-type": "application/json" } });
    expect(anon.status).toBe(401);
  });

  it("echoes X-Request-Id, or makes one up", async () => {
    const echoed = await t.request("GET", "/healthz", { headers: { "x-request-id": "req_mine" } });
    expect(echoed.headers.get("x-request-id")).toBe("req_mine");
    const error = await t.request("GET", "/v1/nope", { headers: { "x-request-id": "req_err" } });
    expect(error.headers.get("x-request-id")).toBe("req_err");
    const made = await t.request("GET", "/healthz");
    expect(made.headers.get("x-request-id")).toMatch(/^req_/);
  });

  it("answers malformed JSON with 400 malformed_json", async () => {
    const res = await t.request("POST", "/v1/jobs", { raw: '{"type": ', headers: { "content-type": "application/json" } });
    expect(res.status).toBe(400);
    expect(res.body.code).toBe("malformed_json");
  });

  it("accepts application/*+json with parameters, refuses other types with 415", async () => {
    const ok = await t.request("POST", "/v1/jobs", { raw: JSON.stringify(echo), headers: { "content-type": "application/vnd.api+json; charset=utf-8" } });
    expect(ok.status).toBe(202);
    const ok2 = await t.request("POST", "/v1/jobs", { raw: JSON.stringify(echo), headers: { "content-type": "Application/JSON;charset=UTF-8" } });
    expect(ok2.status).toBe(202);
    for (const type of ["text/plain", "application/x-www-form-urlencoded", "application/octet-stream", "application/jsonx"]) {
      const res = await t.request("POST", "/v1/jobs", { raw: JSON.stringify(echo), headers: { "content-type": type } });
      expect(res.status, type).toBe(415);
      expect(res.body.code).toBe("unsupported_media_type");
    }
  });

  it("answers a body over the limit with 413 payload_too_large", async () => {
    const res = await t.request("POST", "/v1/jobs", { body: { type: "conformance.echo", input: { value: "x".repeat(4096) } } });
    expect(res.status).toBe(413);
    expect(res.body.code).toBe("payload_too_large");
  });

  it("answers schema violations with 400 invalid_request and JSON Pointers from the body root", async () => {
    const res = await t.request("POST", "/v1/jobs", { body: { type: 5, input: {}, metadata: { a: 1 }, max_attempts: 0, extra: true, webhook: { url: "ftp://x" } } });
    expect(res.status).toBe(400);
    expect(res.body.code).toBe("invalid_request");
    const paths = new Set(res.body.errors.map((e: { path: string }) => e.path));
    for (const path of ["/type", "/metadata/a", "/max_attempts", "/extra"]) expect(paths, path).toContain(path);
    // The webhook URL is checked semantically (openapi.yaml WebhookTarget): 422.
    const ftp = await t.request("POST", "/v1/jobs", { body: { ...echo, webhook: { url: "ftp://x" } } });
    expect(ftp.status).toBe(422);
    expect(ftp.body.code).toBe("invalid_webhook_url");
    const missing = await t.request("POST", "/v1/jobs", { body: { input: {} } });
    expect(missing.body.errors).toContainEqual(expect.objectContaining({ path: "/type" }));
    const empty = await t.request("POST", "/v1/jobs", { raw: "", headers: { "content-type": "application/json" } });
    expect(empty.status).toBe(400);
    expect(empty.body.code).toBe("invalid_request");
  });

  it("answers unknown routes with 404 not_found and wrong methods with 405 + Allow", async () => {
    const missing = await t.request("GET", "/v2/jobs");
    expect(missing.status).toBe(404);
    expect(missing.body.code).toBe("not_found");
    const wrong = await t.request("DELETE", "/v1/jobs/job_1");
    expect(wrong.status).toBe(405);
    expect(wrong.headers.get("allow")).toContain("GET");
    expect(wrong.body).toMatchObject({ code: "invalid_request", status: 405 });
    const health = await t.request("POST", "/healthz");
    expect(health.status).toBe(405);
    expect(health.headers.get("allow")).toContain("GET");
  });

  it("lets browsers in: CORS preflight and exposed headers", async () => {
    const pre = await t.request("OPTIONS", "/v1/uploads/upl_1/parts/1", {
      token: null,
      unchecked: true,
      headers: { origin: "https://app.example", "access-control-request-method": "PUT", "access-control-request-headers": "content-type" },
    });
    expect(pre.status).toBe(204);
    expect(pre.headers.get("access-control-allow-origin")).toBe("*");
    expect(pre.headers.get("access-control-allow-methods")).toContain("PUT");
    for (const h of ["Authorization", "Content-Type", "Idempotency-Key", "Prefer", "If-None-Match", "X-Request-Id"]) {
      expect(pre.headers.get("access-control-allow-headers")).toContain(h);
    }
    const res = await t.request("POST", "/v1/jobs", { body: echo, headers: { origin: "https://app.example" } });
    const exposed = res.headers.get("access-control-expose-headers")!;
    for (const h of ["ETag", "Location", "Retry-After", "X-Request-Id", "Preference-Applied", "Idempotent-Replayed"]) expect(exposed).toContain(h);
  });
});

describe("service (spec §5)", () => {
  it("answers /healthz without auth", async () => {
    const res = await t.request("GET", "/healthz", { token: null });
    expect(res.body).toEqual({ status: "ok" });
  });

  it("serves its own contract at /openapi.yaml", async () => {
    const res = await t.request("GET", "/openapi.yaml", { token: null });
    expect(res.status).toBe(200);
    expect(res.headers.get("content-type")).toContain("application/yaml");
    expect(res.text).toMatch(/^openapi: 3\.1/);
  });

  it("answers the upload operations with problem+json, never a crash", async () => {
    const res = await t.request("GET", "/v1/uploads/upl_missing");
    expect(res.status).toBe(404);
    expect(res.body.code).toBe("not_found");
  });
});

describe("problem registry (spec §7)", () => {
  it("has a status and title for every code of the contract", async () => {
    const yaml = await t.request("GET", "/openapi.yaml", { token: null });
    const enumBlock = /ProblemCode:[\s\S]*?enum:\n((?:\s+- \w+\n)+)/.exec(yaml.text)![1]!;
    const codes = enumBlock.split("\n").map((l) => l.trim().replace(/^- /, "")).filter(Boolean);
    expect(Object.keys(problemRegistry).sort()).toEqual(codes.sort());
    for (const code of codes) expect(problemRegistry[code as keyof typeof problemRegistry].status).toBeGreaterThanOrEqual(400);
  });
});
