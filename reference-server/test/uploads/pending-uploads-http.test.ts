import { afterAll, beforeAll, describe, expect, test } from "vitest";
import type { PendingUploadList, Upload } from "async-jobs/types";
import { OTHER_TOKEN, startTestServer, type TestServer } from "../support/test-server.ts";

// GET /v1/uploads?status=pending over HTTP (spec §8.4): tenant-scoped, newest first, paged.
let server: TestServer;
beforeAll(async () => {
  server = await startTestServer(["--min-part-size", "1024"]);
});
afterAll(async () => {
  await server?.close();
});

async function create(filename: string, token?: string): Promise<Upload> {
  const response = await server.request<Upload>("POST", "/v1/uploads", {
    body: { filename, content_type: "text/plain", size: 3000, part_size: 1024 },
    ...(token ? { token } : {}),
  });
  expect(response.status).toBe(201);
  return response.body;
}

describe("GET /v1/uploads?status=pending", () => {
  test("lists the caller's pending uploads newest first, page after page, with what a resume needs", async () => {
    const mine = [await create("a.txt"), await create("b.txt"), await create("c.txt")];
    const theirs = await create("theirs.txt", OTHER_TOKEN);
    const aborted = await create("aborted.txt");
    expect((await server.request("DELETE", `/v1/uploads/${aborted.id}`)).status).toBe(204);

    const first = await server.request<PendingUploadList>("GET", "/v1/uploads?status=pending&limit=2");
    expect(first.status).toBe(200);
    expect(first.body.data.map((u) => u.id)).toEqual([mine[2]!.id, mine[1]!.id]);
    expect(first.body.next_cursor).toEqual(expect.any(String));
    const created = mine[2]!;
    expect(first.body.data[0]).toEqual({
      id: created.id,
      status: "pending",
      filename: "c.txt",
      content_type: "text/plain",
      size: 3000,
      sha256: null,
      part_size: 1024,
      part_count: 3,
      created_at: expect.stringMatching(/^\d{4}-\d\d-\d\dT/),
      expires_at: created.expires_at,
    });
    expect(Date.parse(first.body.data[0]!.created_at)).toBeLessThanOrEqual(Date.now());

    await create("made-between-pages.txt");
    const second = await server.request<PendingUploadList>("GET", `/v1/uploads?status=pending&limit=2&cursor=${first.body.next_cursor}`);
    expect(second.status).toBe(200);
    const rest = second.body.data.map((u) => u.id);
    expect(rest[0]).toBe(mine[0]!.id);
    const all = [...first.body.data.map((u) => u.id), ...rest];
    expect(all).not.toContain(theirs.id);
    expect(all).not.toContain(aborted.id);

    const other = await server.request<PendingUploadList>("GET", "/v1/uploads?status=pending&limit=100", { token: OTHER_TOKEN });
    expect(other.body.data.map((u) => u.id)).toEqual([theirs.id]);
  });

  test("a completed upload leaves the listing", async () => {
    const upload = await create("done.txt");
    const bytes = new Uint8Array(3000).fill(7);
    const parts = [];
    for (const part of upload.parts) {
      const body = bytes.subarray((part.number - 1) * 1024, (part.number - 1) * 1024 + part.size);
      const response = await fetch(part.url!, { method: "PUT", body, headers: part.headers });
      parts.push({ number: part.number, etag: response.headers.get("etag")! });
    }
    expect((await server.request("POST", `/v1/uploads/${upload.id}/complete`, { body: { parts } })).status).toBe(200);
    const listed = await server.request<PendingUploadList>("GET", "/v1/uploads?status=pending&limit=100");
    expect(listed.body.data.map((u) => u.id)).not.toContain(upload.id);
  });

  test.each([
    ["no status", "/v1/uploads"],
    ["another status", "/v1/uploads?status=completed"],
    ["a limit out of range", "/v1/uploads?status=pending&limit=0"],
    ["a bad cursor", "/v1/uploads?status=pending&cursor=bm90LWEtY3Vyc29y"],
  ])("%s is 400 invalid_request", async (_what, path) => {
    const response = await server.request("GET", path);
    expect(response.status).toBe(400);
    expect(response.body.code).toBe("invalid_request");
  });

  test("needs a token", async () => {
    expect((await server.request("GET", "/v1/uploads?status=pending", { token: null })).status).toBe(401);
  });
});
