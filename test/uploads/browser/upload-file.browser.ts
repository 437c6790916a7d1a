import { expect, inject, it } from "vitest";
import { createClient } from "async-jobs";
import { createXhrPartTransport, uploadFile, type PartTransport, type UploadProgress } from "async-jobs/uploads";

// In headless Chromium: a File goes up with XHR (Blob slices, progress events), the ETag is
// readable through CORS, the SHA-256 computed in the page is the one the server's worker finds.
const { url, token } = inject("uploadServer");
const client = createClient({ baseUrl: url, token, retry: { initialDelayMs: 10, maxDelayMs: 50 } });

async function sha256Hex(data: Uint8Array<ArrayBuffer>) {
  return [...new Uint8Array(await crypto.subtle.digest("SHA-256", data))].map((b) => b.toString(16).padStart(2, "0")).join("");
}

function randomData(size: number): Uint8Array<ArrayBuffer> {
  const data = new Uint8Array(size);
  for (let at = 0; at < size; at += 65_536) crypto.getRandomValues(data.subarray(at, Math.min(size, at + 65_536)));
  return data;
}

it("uploads a File in parts from the browser, and the server hashes the same bytes", async () => {
  expect(typeof XMLHttpRequest).toBe("function"); // the XHR transport is the one in use
  const data = randomData(300_000 + 17);
  const file = new File([data], "photo.jpg", { type: "image/jpeg" });
  const events: UploadProgress[] = [];
  const upload = await uploadFile(client, file, { partSize: 65_536, checksum: true, onProgress: (p) => events.push(p), progressIntervalMs: 0 });
  expect(upload).toMatchObject({ status: "completed", filename: "photo.jpg", content_type: "image/jpeg", part_count: 5 });
  expect(upload.sha256).toBe(await sha256Hex(data));
  const loaded = events.map((e) => e.loadedBytes);
  expect(loaded).toEqual([...loaded].sort((a, b) => a - b));
  expect(events.at(-1)).toEqual({ loadedBytes: file.size, totalBytes: file.size, partsDone: 5, partCount: 5 });
  const job = await client.jobs.submitAndWait({ type: "file.checksum", input: { upload_id: upload.id } });
  expect(job.result).toEqual({ sha256: upload.sha256, size: file.size });
});

it("resumes a File upload after an abort, sending only the missing parts", async () => {
  const data = randomData(8 * 65_536);
  const file = new File([data], "big.bin");
  const controller = new AbortController();
  let id = "";
  const first = await uploadFile(client, file, {
    partSize: 65_536,
    concurrency: 1,
    signal: controller.signal,
    onUploadCreated: (u) => (id = u.id),
    onProgress: (p) => {
      if (p.partsDone >= 3) controller.abort(new Error("tab closed"));
    },
    progressIntervalMs: 0,
  }).catch((e: unknown) => e);
  expect(String(first)).toMatch(/tab closed/);
  const stored = await fetch(`${url}/v1/uploads/${id}`, { headers: { authorization: `Bearer ${token}` } }).then((r) => r.json());
  const missing = (stored.parts as { etag: string | null }[]).filter((p) => !p.etag).length;
  expect(missing).toBeGreaterThan(0);
  expect(missing).toBeLessThan(8);

  // Count what goes out on resume through a wrapping transport.
  const xhr = createXhrPartTransport();
  let sentBytes = 0;
  const counting: PartTransport = (request) => {
    sentBytes += request.body instanceof Blob || request.body instanceof Uint8Array ? (request.body instanceof Blob ? request.body.size : request.body.byteLength) : request.body.size;
    return xhr(request);
  };
  const events: UploadProgress[] = [];
  const upload = await uploadFile(client, file, { resume: id, checksum: true, transport: counting, onProgress: (p) => events.push(p), progressIntervalMs: 0 });
  expect(upload.status).toBe("completed");
  expect(sentBytes).toBe(missing * 65_536);
  expect(events[0]!.loadedBytes).toBeGreaterThanOrEqual((8 - missing) * 65_536);
  expect(upload.sha256).toBe(await sha256Hex(data));
});

it("uploads a File from the browser straight to S3: part URLs on the bucket's origin, ETag read through its CORS", async () => {
  const s3 = inject("s3UploadServer");
  const s3Client = createClient({ baseUrl: s3.url, token: s3.token, retry: { initialDelayMs: 10, maxDelayMs: 50 } });
  const data = randomData(3 * 65_536 + 5);
  const file = new File([data], "to-s3.bin");
  const origins = new Set<string>();
  const xhr = createXhrPartTransport();
  const watching: PartTransport = (request) => {
    origins.add(new URL(request.url).origin);
    return xhr(request);
  };
  const upload = await uploadFile(s3Client, file, { partSize: 65_536, checksum: true, transport: watching });
  expect(upload).toMatchObject({ status: "completed", part_count: 4, sha256: await sha256Hex(data) });
  expect([...origins]).toEqual([s3.s3]);
  const job = await s3Client.jobs.submitAndWait({ type: "file.checksum", input: { upload_id: upload.id } });
  expect(job.result).toEqual({ sha256: upload.sha256, size: file.size });
});
