import { createHash, randomBytes } from "node:crypto";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, expect, test } from "vitest";
import type { Upload } from "async-jobs/types";
import { createTestDatabase } from "../support/test-database.ts";
import { apiRequest, eventually, startTestServer, type TestServer } from "../support/test-server.ts";

// Two API processes' worth of servers on one Postgres database and one blob directory: what
// several machines over a shared filesystem look like.
let a: TestServer;
let b: TestServer;
const blobDir = mkdtempSync(join(tmpdir(), "shared-blobs-"));

beforeAll(async () => {
  const url = await createTestDatabase(`uploads_e2e_${process.pid}`);
  const args = ["--store", url, "--blob-dir", blobDir, "--min-part-size", "1024"];
  a = await startTestServer(args);
  b = await startTestServer(args);
}, 30_000); // starting two servers on Postgres (migrations, LISTEN) takes a few seconds here
afterAll(async () => {
  await a?.close();
  await b?.close();
  rmSync(blobDir, { recursive: true, force: true });
});

test("on Postgres, parts signed by one process are accepted by another, and a checksum job verifies the file", async () => {
  const bytes = randomBytes(5 * 1024 + 7);
  const created = await a.request<Upload>("POST", "/v1/uploads", {
    body: { filename: "f", content_type: "application/octet-stream", size: bytes.length, part_size: 1024 },
  });
  expect(created.status).toBe(201);
  const upload = created.body;
  const parts = [];
  for (const part of upload.parts) {
    // Same path and query, other process.
    const url = part.url!.replace(a.url, b.url);
    const offset = (part.number - 1) * 1024;
    const response = await apiRequest("", "PUT", url, {
      token: null,
      raw: bytes.subarray(offset, offset + part.size),
      headers: part.headers!,
    });
    expect(response.status).toBe(200);
    parts.push({ number: part.number, etag: response.headers.get("etag")! });
  }
  const resumed = await b.request<Upload>("GET", `/v1/uploads/${upload.id}`);
  expect(resumed.body.parts.map((p) => p.etag)).toEqual(parts.map((p) => p.etag));
  const sha256 = createHash("sha256").update(bytes).digest("hex");
  const bad = await b.request("POST", `/v1/uploads/${upload.id}/complete`, { body: { parts, sha256: "0".repeat(64) } });
  expect([bad.status, bad.body.code]).toEqual([422, "checksum_mismatch"]);
  const done = await b.request<Upload>("POST", `/v1/uploads/${upload.id}/complete`, { body: { parts, sha256 } });
  expect(done.body.status).toBe("completed");
  const again = await a.request("POST", `/v1/uploads/${upload.id}/complete`, { body: { parts } });
  expect(again.status).toBe(200);
  const late = await apiRequest("", "PUT", upload.parts[0]!.url!, { token: null, raw: bytes.subarray(0, 1024), headers: upload.parts[0]!.headers! });
  expect([late.status, late.body.code]).toEqual([409, "upload_not_pending"]);

  const submitted = await a.request("POST", "/v1/jobs", { body: { type: "file.checksum", input: { upload_id: upload.id } } });
  expect(submitted.status).toBe(202);
  const job = await eventually(
    async () => (await b.request("GET", `/v1/jobs/${submitted.body.id}`)).body,
    (j) => j.status === "succeeded" || j.status === "failed",
    20_000,
  );
  expect(job.result).toEqual({ sha256, size: bytes.length });
});
