import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startReferenceServer, type ReferenceServer } from "../../../test/helpers/reference-server.ts";
import { OTHER_TOKEN, TOKEN, apiRequest, startTestServer, type TestServer } from "../support/test-server.ts";

// Job- and upload-scoped tokens (spec §8.3) over raw HTTP: each operation allowed or refused,
// expiry, and a token minted by one process verified by another on the same store.

let t: TestServer;
let other: ReferenceServer; // a second API process on the same SQLite file

beforeAll(async () => {
  t = await startTestServer();
  other = await startReferenceServer({
    store: `sqlite:${join(t.dir, "jobs.db")}`,
    args: ["--no-worker", "--blob-dir", join(t.dir, "blobs"), "--tokens", `${TOKEN}:acme`],
  });
}, 60_000);

afterAll(async () => {
  await other?.stop();
  await t?.close();
});

async function submitEcho(input: Record<string, unknown> = { value: 1, duration_ms: 5000 }, token = TOKEN) {
  const { status, body } = await t.request("POST", "/v1/jobs", { body: { type: "conformance.echo", input }, token });
  expect(status).toBe(202);
  return body.id as string;
}

async function mint(body: Record<string, unknown>, token: string = TOKEN) {
  return t.request("POST", "/v1/tokens", { body, token });
}

describe("job-scoped tokens", () => {
  it("mints a token for the tenant's jobs, with a bounded lifetime", async () => {
    const [a, b] = [await submitEcho(), await submitEcho()];
    const before = Date.now();
    const minted = await mint({ jobs: [a, b], ttl_seconds: 99_999 }).catch((e) => e);
    // Above the contract's maximum: refused by the schema.
    expect(minted.status).toBe(400);
    const { status, body, headers } = await mint({ jobs: [a, b] });
    expect(status).toBe(201);
    expect(headers.get("cache-control")).toBe("no-store");
    expect(body).toMatchObject({ jobs: [a, b], cancel: false });
    expect(body.token).toMatch(/^ajst_/);
    const lifetime = Date.parse(body.expires_at) - before;
    expect(lifetime).toBeGreaterThan(890_000);
    expect(lifetime).toBeLessThan(905_000);
  });

  it("reads, long-polls and streams its jobs; cancels only with cancel; 404 on other jobs; 401 on submit, list and minting", async () => {
    const [a, b, c] = [await submitEcho(), await submitEcho(), await submitEcho()];
    const { body } = await mint({ jobs: [a, b] });
    const token = body.token as string;
    expect((await t.request("GET", `/v1/jobs/${a}`, { token })).status).toBe(200);
    const polled = await t.request("GET", `/v1/jobs/${b}`, { token, headers: { prefer: "wait=1" } });
    expect(polled.status).toBe(200);
    const stream = await fetch(`${t.url}/v1/jobs/${a}`, { headers: { authorization: `Bearer ${token}`, accept: "text/event-stream" } });
    expect(stream.headers.get("content-type")).toMatch(/^text\/event-stream/);
    await stream.body!.cancel();
    const many = await fetch(`${t.url}/v1/jobs-stream?ids=${a},${b}`, { headers: { authorization: `Bearer ${token}` } });
    expect(many.status).toBe(200);
    await many.body!.cancel();

    for (const [method, path] of [
      ["GET", `/v1/jobs/${c}`],
      ["POST", `/v1/jobs/${a}/cancel`], // granted only with cancel: true
      ["GET", `/v1/jobs/${a}/deliveries`],
      ["GET", `/v1/jobs-stream?ids=${a},${c}`],
      ["GET", "/v1/uploads/upl_0000"],
    ] as const) {
      const refused = await t.request(method, path, { token });
      expect([method, path, refused.status, refused.body.code]).toEqual([method, path, 404, "not_found"]);
    }
    for (const [method, path, body] of [
      ["POST", "/v1/jobs", { type: "conformance.echo", input: { value: 1 } }],
      ["GET", "/v1/jobs", undefined],
      ["GET", "/v1/job-types", undefined],
      ["GET", "/v1/jobs-stream?status=running", undefined],
      ["POST", "/v1/tokens", { jobs: [a] }],
      ["POST", "/v1/uploads", { filename: "a", content_type: "text/plain", size: 1 }],
    ] as const) {
      const refused = await t.request(method, path, { token, body });
      expect([method, path, refused.status, refused.body.code]).toEqual([method, path, 401, "unauthorized"]);
      expect(refused.headers.get("www-authenticate")).toMatch(/^Bearer/);
    }

    const cancelling = (await mint({ jobs: [a], cancel: true })).body.token as string;
    const canceled = await t.request("POST", `/v1/jobs/${a}/cancel`, { token: cancelling });
    expect([200, 202]).toContain(canceled.status);
    expect((await t.request("POST", `/v1/jobs/${b}/cancel`, { token: cancelling })).status).toBe(404);
  });

  it("names only the tenant's own jobs: another tenant's job or an unknown one is 404", async () => {
    const theirs = await submitEcho(undefined, OTHER_TOKEN);
    const mine = await submitEcho();
    expect((await mint({ jobs: [mine, theirs] })).status).toBe(404);
    expect((await mint({ jobs: ["job_nope"] })).status).toBe(404);
    expect((await mint({})).status).toBe(400);
    expect((await mint({ jobs: [mine], upload: "upl_x" })).status).toBe(400);
  });

  it("is 401 once expired, and when tampered with", async () => {
    const id = await submitEcho();
    const token = (await mint({ jobs: [id], ttl_seconds: 1 })).body.token as string;
    expect((await t.request("GET", `/v1/jobs/${id}`, { token })).status).toBe(200);
    const [body, signature] = token.slice("ajst_".length).split(".");
    const widened = Buffer.from(JSON.stringify({ ...JSON.parse(Buffer.from(body!, "base64url").toString()), jobs: [id, "job_other"] })).toString("base64url");
    const forged = await t.request("GET", `/v1/jobs/${id}`, { token: `ajst_${widened}.${signature}` });
    expect([forged.status, forged.body.code]).toEqual([401, "unauthorized"]);
    await new Promise((r) => setTimeout(r, 1100));
    const expired = await t.request("GET", `/v1/jobs/${id}`, { token });
    expect([expired.status, expired.body.code]).toEqual([401, "unauthorized"]);
    expect(expired.body.detail).toMatch(/expired/);
  });

  it("is verified by another process of the same deployment", async () => {
    const id = await submitEcho();
    const token = (await mint({ jobs: [id] })).body.token as string;
    const read = await apiRequest(other.url, "GET", `/v1/jobs/${id}`, { token });
    expect(read.status).toBe(200);
    expect(read.body.id).toBe(id);
    expect((await apiRequest(other.url, "POST", "/v1/jobs", { token, body: { type: "conformance.echo", input: { value: 1 } } })).status).toBe(401);
  });
});

describe("upload-scoped tokens", () => {
  it("drives its upload (status, part URLs, parts, complete) and nothing else", async () => {
    const created = await t.request("POST", "/v1/uploads", { body: { filename: "a.txt", content_type: "text/plain", size: 5 } });
    expect(created.status).toBe(201);
    const id = created.body.id as string;
    const otherUpload = (await t.request("POST", "/v1/uploads", { body: { filename: "b.txt", content_type: "text/plain", size: 5 } })).body.id;
    const minted = await mint({ upload: id });
    expect(minted.status).toBe(201);
    expect(minted.body.upload).toBe(id);
    const token = minted.body.token as string;

    expect((await t.request("GET", `/v1/uploads/${id}`, { token })).status).toBe(200);
    const urls = await t.request("POST", `/v1/uploads/${id}/part-urls`, { token, body: { numbers: [1] } });
    expect(urls.status).toBe(200);
    const put = await fetch(urls.body.parts[0].url, { method: "PUT", body: "hello" });
    expect(put.status).toBe(200);
    const etag = put.headers.get("etag")!;
    expect((await t.request("DELETE", `/v1/uploads/${id}`, { token })).status).toBe(404);
    expect((await t.request("GET", `/v1/uploads/${otherUpload}`, { token })).status).toBe(404);
    const job = await submitEcho();
    expect((await t.request("GET", `/v1/jobs/${job}`, { token })).status).toBe(404);
    expect((await t.request("POST", "/v1/jobs", { token, body: { type: "file.checksum", input: { upload_id: id } } })).status).toBe(401);
    const completed = await t.request("POST", `/v1/uploads/${id}/complete`, { token, body: { parts: [{ number: 1, etag }] } });
    expect(completed.status).toBe(200);
    expect(completed.body.status).toBe("completed");
  });

  it("is minted only for the tenant's own upload", async () => {
    const theirs = (await t.request("POST", "/v1/uploads", { token: OTHER_TOKEN, body: { filename: "a", content_type: "text/plain", size: 1 } })).body.id;
    expect((await mint({ upload: theirs })).status).toBe(404);
  });
});
