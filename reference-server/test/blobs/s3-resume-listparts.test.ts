import { createHash, randomBytes } from "node:crypto";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, expect, test } from "vitest";
import { createClient } from "async-jobs";
import type { Upload } from "async-jobs/types";
import { uploadFile as uploadFromNode } from "async-jobs/uploads/node";
import { startS3TestServer, type S3TestServer } from "../../../test/helpers/s3-test-server.ts";
import { startTestServer, TOKEN, type TestServer } from "../support/test-server.ts";

// Resume against an S3 server that answers ListParts (moto; s3rver has none, so there resume
// shows no stored part and re-sends all): after an abort, the listing shows the parts S3 holds
// and the SDK re-sends only the missing ones (spec §4.4), straight to the bucket.
const MiB = 1024 * 1024;
let moto: S3TestServer;
let api: TestServer;
let dir: string;
beforeAll(async () => {
  moto = await startS3TestServer({ emulator: "moto" });
  api = await startTestServer(["--blobs", moto.blobsUrl("resume"), "--min-part-size", String(5 * MiB)]);
  dir = mkdtempSync(join(tmpdir(), "s3-resume-"));
}, 60_000);
afterAll(async () => {
  await api?.close();
  await moto?.close();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

test("an aborted upload resumes from S3's ListParts: only the missing parts are sent again", async () => {
  const data = randomBytes(24 * MiB + 1);
  const path = join(dir, "resume.bin");
  writeFileSync(path, data);
  const puts: string[] = [];
  const client = createClient({
    baseUrl: api.url,
    token: TOKEN,
    retry: { initialDelayMs: 5, maxDelayMs: 50 },
    hooks: { beforeRequest: [(request) => void (request.method === "PUT" && puts.push(request.url))] },
  });
  const stop = new AbortController();
  let id = "";
  const aborted = uploadFromNode(client, path, {
    concurrency: 1,
    onUploadCreated: (upload) => (id = upload.id),
    onProgress: (p) => p.partsDone >= 1 && stop.abort(new Error("stop")),
    progressIntervalMs: 0,
    signal: stop.signal,
  });
  await expect(aborted).rejects.toThrow();
  const listed = (await api.request<Upload>("GET", `/v1/uploads/${id}`)).body;
  const stored = listed.parts.filter((p) => p.etag !== null).length;
  expect(listed.status).toBe("pending");
  expect(listed.part_count).toBeGreaterThanOrEqual(3);
  expect(stored).toBeGreaterThanOrEqual(1);
  expect(stored).toBeLessThan(listed.part_count);
  expect(new URL(puts[0]!).origin).not.toBe(new URL(api.url).origin); // parts went to S3

  puts.length = 0;
  const resumed = await uploadFromNode(client, path, { resume: id, checksum: true });
  expect(resumed).toMatchObject({ id, status: "completed", size: data.byteLength, sha256: createHash("sha256").update(data).digest("hex") });
  expect(puts.length).toBe(listed.part_count - stored);
}, 120_000);
