import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { TOKEN, startTestServer, type TestServer } from "../support/test-server.ts";
import { rawExchange } from "./http-raw.ts";

// Issue 13, finding 11: answers made before a route runs (bad %-encoding, over-long id or URL,
// huge headers, malformed HTTP) were fastify's or Node's own JSON without X-Request-Id.

let t: TestServer;
beforeAll(async () => {
  t = await startTestServer(["--no-worker"]);
});
afterAll(async () => {
  await t.close();
});

const get = (target: string, extra = "") =>
  `GET ${target} HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer ${TOKEN}\r\n${extra}Connection: close\r\n\r\n`;

describe("every answer is problem+json with X-Request-Id (spec §1)", () => {
  it.each([
    ["a bad %-encoding", get("/v1/jobs/%E0%A4%A"), 400],
    ["an over-long id", get(`/v1/jobs/${"a".repeat(3000)}`), 414],
    ["an over-long URL", get(`/v1/jobs?type=${"a".repeat(20_000)}`), 431],
    ["an over-large header", get("/v1/jobs", `X-Big: ${"a".repeat(20_000)}\r\n`), 431],
    ["malformed HTTP", "GARBAGE\r\n\r\n", 400],
    ["a bad header line", "GET /v1/jobs HTTP/1.1\r\nHost: x\r\nNo colon here\r\n\r\n", 400],
  ])("%s", async (_name, request, status) => {
    const answer = await rawExchange(t.url, request);
    expect(answer.status).toBe(status);
    expect(answer.headers["content-type"]).toMatch(/^application\/problem\+json/);
    expect(answer.headers["x-request-id"]).toMatch(/^req_/);
    const problem = JSON.parse(answer.body);
    expect(problem).toMatchObject({ status, code: "invalid_request" });
    expect(problem.type).toBe("https://async-jobs.dev/problems/invalid_request");
  });

  it("headers that do not arrive in time: 408 problem+json, connection closed", async () => {
    const slow = await startTestServer(["--no-worker", "--headers-timeout-ms", "300"]);
    try {
      const answer = await rawExchange(slow.url, "GET /v1/jobs HTTP/1.1\r\nHost: x\r\n", { waitMs: 10_000 });
      expect(answer.headers.connection).toBe("close");
      expect(answer.status).toBe(408);
      expect(answer.headers["content-type"]).toMatch(/^application\/problem\+json/);
      expect(answer.headers["x-request-id"]).toMatch(/^req_/);
    } finally {
      await slow.close();
    }
  });
});
