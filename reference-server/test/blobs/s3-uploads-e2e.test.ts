import { execFile } from "node:child_process";
import { createHash, randomBytes } from "node:crypto";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import type { Socket } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import { Readable } from "node:stream";
import { pipeline } from "node:stream/promises";
import type { ReadableStream as WebReadableStream } from "node:stream/web";
import { createGunzip } from "node:zlib";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { createClient, type AsyncJobsClient } from "async-jobs";
import type { Upload } from "async-jobs/types";
import { createFetchPartTransport, type PartTransport } from "async-jobs/uploads";
import { uploadFile as uploadFromNode } from "async-jobs/uploads/node";
import { startS3TestServer, type S3TestServer } from "../../../test/helpers/s3-test-server.ts";
import { createTestDatabase } from "../support/test-database.ts";
import { startTestServer, TOKEN, type TestServer } from "../support/test-server.ts";

// The whole flow with `--blobs s3://…` against s3rver on loopback, on SQLite and on Postgres:
// the SDK's Node entry PUTs parts straight to S3, the API only sees JSON; jobs read the object;
// outputs come back through presigned GetObject URLs. 200 MB, the acceptance size (#12): on a
// loaded 2-core machine its SDK, CLI and job tests took 61 s for both stores, the file 74 s;
// S3_E2E_MB=50 for a quicker run.
const FILE_MB = Number(process.env.S3_E2E_MB ?? 200);
const MiB = 1024 * 1024;
const sha256 = (bytes: Uint8Array) => createHash("sha256").update(bytes).digest("hex");

let s3: S3TestServer;
let dir: string;
let file: string;
let data: Buffer;
beforeAll(async () => {
  s3 = await startS3TestServer();
  dir = mkdtempSync(join(tmpdir(), "s3-e2e-"));
  data = randomBytes(FILE_MB * MiB + 12_345);
  file = join(dir, "big.bin");
  writeFileSync(file, data);
});
afterAll(async () => {
  await s3?.close();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

/** Bytes the API server read from sockets opened from now on (the SDK opens new ones per test's client). */
function countApiBytes(server: TestServer): () => number {
  const http = server.server.app!.server;
  const sockets = new Set<Socket>();
  const before = new Map<Socket, number>();
  const onConnection = (socket: Socket) => {
    sockets.add(socket);
    before.set(socket, socket.bytesRead);
  };
  http.on("connection", onConnection);
  return () => {
    http.off("connection", onConnection);
    let total = 0;
    for (const socket of sockets) total += socket.bytesRead - (before.get(socket) ?? 0);
    return total;
  };
}

for (const backend of ["sqlite", "postgres"] as const) {
  describe(`S3 blobs on ${backend}`, () => {
    let api: TestServer;
    let client: AsyncJobsClient;
    beforeAll(async () => {
      const store = backend === "postgres" ? ["--store", await createTestDatabase(`s3_e2e_${process.pid}`)] : [];
      api = await startTestServer([...store, "--blobs", s3.blobsUrl(`e2e-${backend}`), "--min-part-size", String(5 * MiB)]);
      client = createClient({ baseUrl: api.url, token: TOKEN, retry: { initialDelayMs: 5, maxDelayMs: 50 } });
    }, 30_000);
    afterAll(() => api?.close());

    test(`a ${FILE_MB} MB file through the SDK's Node entry goes straight to S3; file.checksum and file.gzip run on it`, async () => {
      const apiBytes = countApiBytes(api);
      const started = Date.now();
      const upload = await uploadFromNode(client, file, { checksum: true, concurrency: 4 });
      const seconds = (Date.now() - started) / 1000;
      const received = apiBytes();
      expect(upload).toMatchObject({ status: "completed", size: data.byteLength, sha256: sha256(data) });
      expect(new URL(upload.parts[0]!.url ?? s3.endpoint).origin).not.toBe(api.url);
      // Only JSON reached the API: far below the file's size (measured: see the log line).
      expect(received).toBeLessThan(data.byteLength / 100);
      console.log(`S3 e2e (${backend}): ${FILE_MB} MB in ${seconds.toFixed(1)} s; the API read ${received} B`);

      const checksum = await client.jobs.submitAndWait({ type: "file.checksum", input: { upload_id: upload.id } });
      expect(checksum.result).toEqual({ sha256: sha256(data), size: data.byteLength });
      const gzip = await client.jobs.submitAndWait({ type: "file.gzip", input: { upload_id: upload.id } });
      const result = gzip.result as { size: number; gzip_size: number; download: { url: string; expires_at: string } };
      expect(new URL(result.download.url).origin).toBe(s3.endpoint);
      expect(Date.parse(result.download.expires_at) - Date.now()).toBeGreaterThan(86_000_000); // spec: a day
      const head = await fetch(result.download.url, { headers: { range: "bytes=0-1" } });
      expect([head.status, head.headers.get("content-range"), [...new Uint8Array(await head.arrayBuffer())]]).toEqual([
        206,
        `bytes 0-1/${result.gzip_size}`,
        [0x1f, 0x8b],
      ]);
      const whole = await fetch(result.download.url);
      const hash = createHash("sha256");
      await pipeline(Readable.fromWeb(whole.body as WebReadableStream), createGunzip(), async function* (chunks: AsyncIterable<Buffer>) {
        for await (const chunk of chunks) hash.update(chunk);
      });
      expect(hash.digest("hex")).toBe(sha256(data));
    }, 180_000);

    test("0-byte and 1-byte files: one part each, checksummed on the stored object", async () => {
      for (const size of [0, 1]) {
        const bytes = data.subarray(0, size);
        const path = join(dir, `tiny-${backend}-${size}.bin`);
        writeFileSync(path, bytes);
        const upload = await uploadFromNode(client, path, { checksum: true });
        expect(upload).toMatchObject({ status: "completed", size, part_count: 1, sha256: sha256(bytes) });
        const job = await client.jobs.submitAndWait({ type: "file.checksum", input: { upload_id: upload.id } });
        expect(job.result).toEqual({ sha256: sha256(bytes), size });
      }
    });

    test("the async-jobs CLI uploads the file straight to S3 too", async () => {
      const apiBytes = countApiBytes(api);
      const cli = fileURLToPath(new URL("../../../bin/async-jobs.js", import.meta.url));
      const { stdout } = await promisify(execFile)(process.execPath, [cli, "upload", file, "--checksum", "--json"], {
        env: { ...process.env, ASYNC_JOBS_BASE_URL: api.url, ASYNC_JOBS_TOKEN: TOKEN },
        maxBuffer: 1 << 20,
      });
      const upload = JSON.parse(stdout) as Upload;
      expect(upload).toMatchObject({ status: "completed", size: data.byteLength, sha256: sha256(data) });
      expect(apiBytes()).toBeLessThan(data.byteLength / 100);
    }, 180_000);

    test("an aborted upload resumes and completes; a wrong checksum is 422 and the upload stays pending", async () => {
      const small = data.subarray(0, 12 * MiB + 1);
      const path = join(dir, `small-${backend}.bin`);
      writeFileSync(path, small);
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
      expect((await api.request<Upload>("GET", `/v1/uploads/${id}`)).body.status).toBe("pending");
      const resumed = await uploadFromNode(client, path, { resume: id, checksum: true });
      expect(resumed).toMatchObject({ id, status: "completed", sha256: sha256(small) });

      const other = await api.request<Upload>("POST", "/v1/uploads", {
        body: { filename: "x", content_type: "application/octet-stream", size: 3, sha256: "0".repeat(64) },
      });
      const put = await fetch(other.body.parts[0]!.url!, { method: "PUT", body: "abc", headers: other.body.parts[0]!.headers! });
      const etag = put.headers.get("etag")!;
      const bad = await api.request("POST", `/v1/uploads/${other.body.id}/complete`, { body: { parts: [{ number: 1, etag }] } });
      expect([bad.status, bad.body.code]).toEqual([422, "checksum_mismatch"]);
      const again = await api.request<Upload>("GET", `/v1/uploads/${other.body.id}`);
      expect(again.body.status).toBe("pending");
      // S3 sealed the parts to hash them: they are sent again to a new multipart upload.
      const resend = await fetch(again.body.parts[0]!.url!, { method: "PUT", body: "abc", headers: again.body.parts[0]!.headers! });
      const good = await api.request<Upload>("POST", `/v1/uploads/${other.body.id}/complete`, {
        body: { parts: [{ number: 1, etag: resend.headers.get("etag")! }], sha256: sha256(Buffer.from("abc")) },
      });
      expect(good.body.status).toBe("completed");
      const aborting = await api.request<Upload>("POST", "/v1/uploads", { body: { filename: "y", content_type: "text/plain", size: 1 } });
      expect((await api.request("DELETE", `/v1/uploads/${aborting.body.id}`)).status).toBe(204);
    }, 120_000);
  });
}

test("a part URL that expired on S3 (its own 403, an XML body) is renewed by the SDK and sent again", async () => {
  const api = await startTestServer(["--blobs", s3.blobsUrl("expiry"), "--min-part-size", String(MiB), "--part-url-ttl-s", "1"]);
  try {
    const client = createClient({ baseUrl: api.url, token: TOKEN, retry: { initialDelayMs: 5, maxDelayMs: 50 } });
    const send = createFetchPartTransport(fetch);
    const answers: number[] = [];
    const seen = new Set<number>();
    // Each part's first PUT waits out its one-second URL.
    const transport: PartTransport = async (request) => {
      const number = Number(new URL(request.url).searchParams.get("partNumber"));
      if (!seen.has(number)) {
        seen.add(number);
        await new Promise((resolve) => setTimeout(resolve, 2_100));
      }
      const response = await send(request);
      answers.push(response.status);
      return response;
    };
    const bytes = data.subarray(0, 2 * MiB + 5);
    const path = join(dir, "expiring.bin");
    writeFileSync(path, bytes);
    const done = await uploadFromNode(client, path, { partSize: MiB, transport, checksum: true });
    expect(done).toMatchObject({ status: "completed", sha256: sha256(bytes) });
    expect(answers.filter((s) => s === 403).length).toBeGreaterThanOrEqual(3);
  } finally {
    await api.close();
  }
}, 60_000);
