import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { TOKEN, startTestServer, type TestServer } from "../support/test-server.ts";
import { rawExchange } from "./http-raw.ts";

// Issue 13, finding 8: with no request timeouts, a POST sending 7 of 100 bytes or a part PUT
// sending 10 of 1024 held a socket and a parser past 100 s. JSON bodies now have a deadline;
// part bodies a minimum average rate, so a long upload on a slow link still works.

let t: TestServer;
beforeAll(async () => {
  t = await startTestServer([
    "--no-worker",
    "--min-part-size", "1024",
    "--request-timeout-ms", "500",
    "--part-min-bytes-per-s", "1000",
  ]);
});
afterAll(async () => {
  await t.close();
});

async function partUrl(size: number): Promise<string> {
  const res = await t.request("POST", "/v1/uploads", { body: { filename: "f.bin", content_type: "application/octet-stream", size, part_size: size } });
  expect(res.status).toBe(201);
  return res.body.parts[0].url;
}

const putHead = (url: string, length: number) => {
  const { pathname, search } = new URL(url);
  return `PUT ${pathname}${search} HTTP/1.1\r\nHost: x\r\nContent-Type: application/octet-stream\r\nContent-Length: ${length}\r\n\r\n`;
};

describe("slow bodies are cut (server policy, docs/server.md)", () => {
  it("a JSON body that does not arrive in time: 408 problem+json, connection closed", async () => {
    const head = `POST /v1/jobs HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer ${TOKEN}\r\nContent-Type: application/json\r\nContent-Length: 100\r\n\r\n`;
    const answer = await rawExchange(t.url, head + '{"type"', { waitMs: 10_000 });
    expect(answer.headers.connection).toBe("close");
    expect(answer.elapsedMs).toBeLessThan(9_000);
    expect(answer.status).toBe(408);
    expect(answer.headers["content-type"]).toMatch(/^application\/problem\+json/);
    expect(answer.headers["x-request-id"]).toMatch(/^req_/);
  });

  it("a part PUT trickling 10 of 1024 bytes is cut once it falls under the minimum rate", async () => {
    const url = await partUrl(1024);
    const answer = await rawExchange(url, putHead(url, 1024) + "0123456789", { waitMs: 15_000 });
    expect(answer.headers.connection).toBe("close");
    expect(answer.elapsedMs).toBeLessThan(14_000);
    expect(answer.status).toBe(408);
    expect(answer.headers["content-type"]).toMatch(/^application\/problem\+json/);
  });

  it("a part arriving slowly but above the minimum rate, for longer than the request timeout, is stored", async () => {
    const url = await partUrl(4096);
    // 8 × 512 bytes, 250 ms apart: 2 s in all (4× the request timeout) at ~2 KB/s.
    const chunks = Array.from({ length: 8 }, () => "x".repeat(512));
    const answer = await rawExchange(url, putHead(url, 4096), { chunks, gapMs: 250, waitMs: 10_000 });
    expect(answer.status).toBe(200);
    expect(answer.headers.etag).toMatch(/^"/);
  });
});
