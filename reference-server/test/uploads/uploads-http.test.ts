import { createHash, randomBytes } from "node:crypto";
import { existsSync } from "node:fs";
import { join } from "node:path";
import { gunzipSync } from "node:zlib";
import Database from "better-sqlite3";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import type { Upload } from "async-jobs/types";
import { createUrlSigner } from "../../src/uploads/signed-url.ts";
import { apiRequest, type ApiResponse, eventually, OTHER_TOKEN, startTestServer, type TestServer } from "../support/test-server.ts";

const KiB = 1024;
const MiB = 1024 * KiB;
const sha256 = (bytes: Uint8Array) => createHash("sha256").update(bytes).digest("hex");

let server: TestServer;
beforeAll(async () => {
  // Small parts keep the test fast; the server says so in part_size (spec §4).
  server = await startTestServer(["--min-part-size", String(KiB)]);
});
afterAll(async () => {
  await server?.close();
});

const api = <T = any>(method: string, path: string, options?: Parameters<TestServer["request"]>[2]) =>
  server.request<T>(method, path, options);

async function createUpload(body: Record<string, unknown>): Promise<Upload> {
  const response = await api<Upload>("POST", "/v1/uploads", { body: { filename: "f.bin", content_type: "application/octet-stream", ...body } });
  expect(response.status).toBe(201);
  return response.body;
}

/** A part PUT exactly as a client does it: the signed URL, its headers, no bearer token. */
async function putPart(url: string, bytes: Uint8Array | string, headers: Record<string, string> = {}): Promise<ApiResponse> {
  return apiRequest("", "PUT", url, {
    raw: typeof bytes === "string" ? bytes : bytes,
    token: null,
    headers: { "content-type": "application/octet-stream", ...headers },
  });
}

/** A body sent chunked (no Content-Length), so only streaming can tell its length. */
async function putChunked(url: string, chunks: Uint8Array[]): Promise<Response> {
  const body = new ReadableStream<Uint8Array>({
    pull(controller) {
      const next = chunks.shift();
      if (next) controller.enqueue(next);
      else controller.close();
    },
  });
  return fetch(url, { method: "PUT", body, headers: { "content-type": "application/octet-stream" }, duplex: "half" } as RequestInit);
}

async function uploadWhole(bytes: Uint8Array, extra: Record<string, unknown> = {}): Promise<Upload> {
  const upload = await createUpload({ size: bytes.byteLength, ...extra });
  const etags = [];
  for (const part of upload.parts) {
    const offset = (part.number - 1) * upload.part_size;
    const response = await putPart(part.url!, bytes.subarray(offset, offset + part.size));
    expect(response.status).toBe(200);
    etags.push({ number: part.number, etag: response.headers.get("etag")! });
  }
  const done = await api<Upload>("POST", `/v1/uploads/${upload.id}/complete`, { body: { parts: etags } });
  expect(done.status).toBe(200);
  return done.body;
}

async function runJob(type: string, input: unknown) {
  const submitted = await api("POST", "/v1/jobs", { body: { type, input } });
  expect(submitted.status).toBe(202);
  return eventually(
    async () => (await api("GET", `/v1/jobs/${submitted.body.id}`)).body,
    (job) => ["succeeded", "failed", "canceled"].includes(job.status),
    20_000,
  );
}

function signingKey(): Uint8Array {
  const db = new Database(join(server.dir, "jobs.db"), { readonly: true });
  try {
    return new Uint8Array((db.prepare("SELECT key FROM upload_signing_keys").get() as { key: Buffer }).key);
  } finally {
    db.close();
  }
}

describe("create, resume and complete", () => {
  test("create plans parts, signs the first 100 and points Location at the upload", async () => {
    const response = await api<Upload>("POST", "/v1/uploads", {
      body: { filename: "big.bin", content_type: "application/octet-stream", size: 150 * KiB + 5, part_size: KiB },
    });
    expect(response.status).toBe(201);
    const upload = response.body;
    expect(response.headers.get("location")).toBe(`/v1/uploads/${upload.id}`);
    expect(upload).toMatchObject({ status: "pending", part_size: KiB, part_count: 151, sha256: null, size: 150 * KiB + 5 });
    expect(upload.id).toMatch(/^upl_[0-9A-Z]{26}$/);
    expect(upload.parts).toHaveLength(151);
    expect(upload.parts.filter((p) => p.url)).toHaveLength(100);
    expect(upload.parts[150]).toEqual({ number: 151, size: 5, etag: null });
    const first = upload.parts[0]!;
    expect(first).toMatchObject({ number: 1, size: KiB, etag: null, method: "PUT", headers: { "content-type": "application/octet-stream" } });
    expect(first.url).toMatch(new RegExp(`^${server.url}/v1/uploads/${upload.id}/parts/1\\?expires=\\d+&size=1024&signature=[\\w-]+$`));
    expect(Date.parse(first.url_expires_at!)).toBeGreaterThan(Date.now());
    // A size of 0 is one empty part.
    const empty = await createUpload({ size: 0 });
    expect(empty.parts).toEqual([expect.objectContaining({ number: 1, size: 0, etag: null })]);
  });

  test("parts go up without a token; GET shows their ETags exactly; complete twice is 200, with other parts 409", async () => {
    const bytes = new TextEncoder().encode("hello, multipart world");
    const upload = await createUpload({ size: bytes.length, part_size: 10, sha256: sha256(bytes).toUpperCase() });
    expect(upload.part_size).toBe(KiB); // the hint is raised to the server's minimum
    const put = await putPart(upload.parts[0]!.url!, bytes);
    expect(put.status).toBe(200);
    const etag = put.headers.get("etag")!;
    expect(etag).toMatch(/^"[0-9a-f]{64}"$/);
    expect(put.headers.get("access-control-expose-headers")).toMatch(/ETag/);
    const resumed = await api<Upload>("GET", `/v1/uploads/${upload.id}`);
    expect(resumed.body.parts[0]!.etag).toBe(etag);
    // Etags compare without quotes.
    const done = await api<Upload>("POST", `/v1/uploads/${upload.id}/complete`, { body: { parts: [{ number: 1, etag: etag.replaceAll('"', "") }] } });
    expect(done.status).toBe(200);
    expect(done.body).toMatchObject({ status: "completed", sha256: sha256(bytes) });
    expect(done.body.parts[0]).toEqual({ number: 1, size: bytes.length, etag });
    const again = await api("POST", `/v1/uploads/${upload.id}/complete`, { body: { parts: [{ number: 1, etag }] } });
    expect(again.status).toBe(200);
    const other = await api("POST", `/v1/uploads/${upload.id}/complete`, { body: { parts: [{ number: 1, etag: '"00"' }] } });
    expect(other.status).toBe(409);
    expect(other.body.code).toBe("upload_not_pending");
    // No more parts, no abort once completed.
    const late = await putPart(upload.parts[0]!.url!, bytes);
    expect([late.status, late.body.code]).toEqual([409, "upload_not_pending"]);
    const abort = await api("DELETE", `/v1/uploads/${upload.id}`);
    expect([abort.status, abort.body.code]).toEqual([409, "upload_not_pending"]);
  });

  test("complete checks in the contract's order", async () => {
    const upload = await createUpload({ size: 3 * KiB, part_size: KiB, sha256: "0".repeat(64) });
    const complete = (parts: { number: number; etag: string }[], sha?: string) =>
      api("POST", `/v1/uploads/${upload.id}/complete`, { body: { parts, ...(sha ? { sha256: sha } : {}) } });
    const p1 = (await putPart(upload.parts[0]!.url!, randomBytes(KiB))).headers.get("etag")!;
    // 1. A number outside the upload beats everything else.
    let r = await complete([{ number: 1, etag: p1 }, { number: 4, etag: p1 }]);
    expect([r.status, r.body.code]).toEqual([422, "invalid_part"]);
    // 2. Parts not stored, or not listed.
    r = await complete([{ number: 1, etag: '"wrong"' }, { number: 2, etag: p1 }, { number: 3, etag: p1 }]);
    expect([r.status, r.body.code]).toEqual([422, "upload_incomplete"]);
    const p2 = (await putPart(upload.parts[1]!.url!, randomBytes(KiB))).headers.get("etag")!;
    const bytes3 = randomBytes(KiB);
    const p3 = (await putPart(upload.parts[2]!.url!, bytes3)).headers.get("etag")!;
    r = await complete([{ number: 1, etag: p1 }, { number: 3, etag: p3 }]);
    expect([r.status, r.body.code]).toEqual([422, "upload_incomplete"]);
    // 3. An ETag that differs.
    r = await complete([{ number: 1, etag: p1 }, { number: 2, etag: p3 }, { number: 3, etag: p3 }]);
    expect([r.status, r.body.code]).toEqual([422, "invalid_part"]);
    // 4. The checksum declared at create differs: 422, and the upload stays pending.
    const parts = [{ number: 1, etag: p1 }, { number: 2, etag: p2 }, { number: 3, etag: p3 }];
    r = await complete(parts);
    expect([r.status, r.body.code]).toEqual([422, "checksum_mismatch"]);
    expect((await api("GET", `/v1/uploads/${upload.id}`)).body.status).toBe("pending");
    // Re-sending a part replaces it: the old ETag is no longer the stored one.
    const p3b = (await putPart(upload.parts[2]!.url!, randomBytes(KiB))).headers.get("etag")!;
    expect(p3b).not.toBe(p3);
    r = await complete(parts);
    expect([r.status, r.body.code]).toEqual([422, "invalid_part"]);
  });

  test("a sha256 declared at complete wins over the one given at create", async () => {
    const bytes = randomBytes(2 * KiB + 1);
    const upload = await createUpload({ size: bytes.length, part_size: KiB, sha256: "f".repeat(64) });
    const parts = [];
    for (const part of upload.parts) {
      const offset = (part.number - 1) * KiB;
      parts.push({ number: part.number, etag: (await putPart(part.url!, bytes.subarray(offset, offset + part.size))).headers.get("etag")! });
    }
    const wrong = await api("POST", `/v1/uploads/${upload.id}/complete`, { body: { parts, sha256: "e".repeat(64) } });
    expect([wrong.status, wrong.body.code]).toEqual([422, "checksum_mismatch"]);
    const right = await api<Upload>("POST", `/v1/uploads/${upload.id}/complete`, { body: { parts, sha256: sha256(bytes) } });
    expect(right.status).toBe(200);
    expect(right.body.sha256).toBe(sha256(bytes));
  });

  test("part-urls renews URLs; numbers outside are 422 invalid_part; more than 100 is 400; not pending is 409", async () => {
    const upload = await createUpload({ size: 150 * KiB, part_size: KiB });
    const renewed = await api("POST", `/v1/uploads/${upload.id}/part-urls`, { body: { numbers: [150, 2] } });
    expect(renewed.status).toBe(200);
    expect(renewed.body.parts.map((p: { number: number }) => p.number)).toEqual([150, 2]);
    expect((await putPart(renewed.body.parts[0].url, randomBytes(KiB))).status).toBe(200);
    const outside = await api("POST", `/v1/uploads/${upload.id}/part-urls`, { body: { numbers: [1, 151] } });
    expect([outside.status, outside.body.code]).toEqual([422, "invalid_part"]);
    const tooMany = await api("POST", `/v1/uploads/${upload.id}/part-urls`, { body: { numbers: Array.from({ length: 101 }, (_, i) => i + 1) } });
    expect([tooMany.status, tooMany.body.code]).toEqual([400, "invalid_request"]);
    const renewedAgain = await api("GET", `/v1/uploads/${upload.id}`);
    expect(renewedAgain.body.parts[149].etag).toMatch(/^"[0-9a-f]{64}"$/);
    expect((await api("DELETE", `/v1/uploads/${upload.id}`)).status).toBe(204);
    const notPending = await api("POST", `/v1/uploads/${upload.id}/part-urls`, { body: { numbers: [1] } });
    expect([notPending.status, notPending.body.code]).toEqual([409, "upload_not_pending"]);
  });

  test("DELETE aborts a pending upload and drops its parts; afterwards parts and complete are 409", async () => {
    const upload = await createUpload({ size: 10 });
    const etag = (await putPart(upload.parts[0]!.url!, "0123456789")).headers.get("etag")!;
    expect(existsSync(join(server.dir, "blobs", "uploads", upload.id))).toBe(true);
    const aborted = await api("DELETE", `/v1/uploads/${upload.id}`);
    expect(aborted.status).toBe(204);
    expect(existsSync(join(server.dir, "blobs", "uploads", upload.id))).toBe(false);
    expect((await api("GET", `/v1/uploads/${upload.id}`)).body.status).toBe("aborted");
    expect((await api("DELETE", `/v1/uploads/${upload.id}`)).status).toBe(204); // idempotent
    const put = await putPart(upload.parts[0]!.url!, "0123456789");
    expect([put.status, put.body.code]).toEqual([409, "upload_not_pending"]);
    const complete = await api("POST", `/v1/uploads/${upload.id}/complete`, { body: { parts: [{ number: 1, etag }] } });
    expect([complete.status, complete.body.code]).toEqual([409, "upload_not_pending"]);
  });

  test("another tenant's upload is answered as missing (404)", async () => {
    const upload = await createUpload({ size: 1 });
    for (const [method, path, body] of [
      ["GET", `/v1/uploads/${upload.id}`, undefined],
      ["DELETE", `/v1/uploads/${upload.id}`, undefined],
      ["POST", `/v1/uploads/${upload.id}/part-urls`, { numbers: [1] }],
      ["POST", `/v1/uploads/${upload.id}/complete`, { parts: [{ number: 1, etag: '"x"' }] }],
    ] as const) {
      const response = await api(method, path, { token: OTHER_TOKEN, ...(body ? { body } : {}) });
      expect([response.status, response.body.code], `${method} ${path}`).toEqual([404, "not_found"]);
    }
    expect((await api("GET", "/v1/uploads/upl_nope")).status).toBe(404);
    const unauthorized = await api("POST", "/v1/uploads", { token: null, body: { filename: "a", content_type: "b", size: 1 } });
    expect(unauthorized.status).toBe(401);
  });

  test("bad create bodies are 400 invalid_request with paths", async () => {
    const tooBig = await api("POST", "/v1/uploads", { body: { filename: "a", content_type: "b", size: 5 * 1024 ** 4 + 1 } });
    expect([tooBig.status, tooBig.body.code]).toEqual([400, "invalid_request"]);
    expect(tooBig.body.errors[0].path).toBe("/size");
    const badSha = await api("POST", "/v1/uploads", { body: { filename: "a", content_type: "b", size: 1, sha256: "xyz" } });
    expect(badSha.body.errors[0].path).toBe("/sha256");
  });
});

describe("signed part URLs", () => {
  test("an altered URL is 403 invalid_signature; an expired one 403 url_expired", async () => {
    const upload = await createUpload({ size: 4 });
    const url = new URL(upload.parts[0]!.url!);
    const altered = (change: (params: URLSearchParams) => void) => {
      const copy = new URL(url);
      change(copy.searchParams);
      return copy.toString();
    };
    for (const target of [
      altered((p) => p.set("size", "5")),
      altered((p) => p.set("expires", String(Number(p.get("expires")) + 1))),
      altered((p) => p.set("signature", `${p.get("signature")!.slice(0, -2)}AA`)),
      url.toString().replace("/parts/1?", "/parts/2?"),
    ]) {
      const response = await putPart(target, "abcd");
      expect([response.status, response.body.code], target).toEqual([403, "invalid_signature"]);
    }
    const signer = createUrlSigner(signingKey());
    const expires = Math.floor(Date.now() / 1000) - 1;
    const expired = `${url.origin}${url.pathname}?${signer.signPart({ uploadId: upload.id, number: 1, size: 4, expires })}`;
    const response = await putPart(expired, "abcd");
    expect([response.status, response.body.code]).toEqual([403, "url_expired"]);
    const missing = await putPart(altered((p) => p.delete("signature")), "abcd");
    expect([missing.status, missing.body.code]).toEqual([400, "invalid_request"]);
  });

  test("a body of the wrong length is 400 size_mismatch, by Content-Length or while streaming; nothing is stored", async () => {
    const upload = await createUpload({ size: 4 * KiB, part_size: 4 * KiB });
    const url = upload.parts[0]!.url!;
    for (const bytes of [randomBytes(4 * KiB - 1), randomBytes(4 * KiB + 1)]) {
      const response = await putPart(url, bytes);
      expect([response.status, response.body.code]).toEqual([400, "size_mismatch"]);
    }
    for (const chunks of [[randomBytes(KiB), randomBytes(KiB)], [randomBytes(3 * KiB), randomBytes(3 * KiB)]]) {
      const response = await putChunked(url, chunks);
      expect(response.status).toBe(400);
      expect(response.headers.get("content-type")).toMatch(/^application\/problem\+json/);
      expect((await response.json()).code).toBe("size_mismatch");
    }
    expect((await api<Upload>("GET", `/v1/uploads/${upload.id}`)).body.parts[0]!.etag).toBeNull();
    const ok = await putChunked(url, [randomBytes(KiB), randomBytes(3 * KiB)]);
    expect(ok.status).toBe(200);
    expect(ok.headers.get("etag")).toMatch(/^"[0-9a-f]{64}"$/);
  });

  test("octet-stream on a JSON route stays 415 unsupported_media_type", async () => {
    const response = await api("POST", "/v1/uploads", { raw: "abc", headers: { "content-type": "application/octet-stream" } });
    expect([response.status, response.body.code]).toEqual([415, "unsupported_media_type"]);
  });
});

describe("file jobs", () => {
  test("a 21 MiB upload in 3 MiB parts (over the 1 MiB JSON body limit), sent 4 at a time, is verified by a file.checksum job", async () => {
    const bytes = randomBytes(21 * MiB + 123);
    const upload = await createUpload({ size: bytes.length, part_size: 3 * MiB });
    expect(upload.part_count).toBe(8);
    const etags: { number: number; etag: string }[] = [];
    const queue = [...upload.parts];
    await Promise.all(
      Array.from({ length: 4 }, async () => {
        for (let part = queue.shift(); part; part = queue.shift()) {
          const offset = (part.number - 1) * upload.part_size;
          const response = await fetch(part.url!, {
            method: "PUT",
            headers: part.headers,
            body: bytes.subarray(offset, offset + part.size),
          });
          expect(response.status).toBe(200);
          etags.push({ number: part.number, etag: response.headers.get("etag")! });
        }
      }),
    );
    const completed = await api<Upload>("POST", `/v1/uploads/${upload.id}/complete`, {
      body: { parts: etags.sort((a, b) => a.number - b.number), sha256: sha256(bytes) },
    });
    expect(completed.status).toBe(200);
    const job = await runJob("file.checksum", { upload_id: upload.id, algorithm: "sha256" });
    expect(job.status).toBe("succeeded");
    expect(job.result).toEqual({ sha256: sha256(bytes), size: bytes.length });
  });

  test("an empty upload checksums to the SHA-256 of nothing", async () => {
    const upload = await uploadWhole(new Uint8Array(0));
    const job = await runJob("file.checksum", { upload_id: upload.id });
    expect(job.result).toEqual({ sha256: sha256(new Uint8Array(0)), size: 0 });
  });

  test("file.gzip answers a presigned download with 200, 206 and 416", async () => {
    const original = new TextEncoder().encode("async jobs ".repeat(30_000));
    const upload = await uploadWhole(original, { part_size: 64 * KiB });
    const job = await runJob("file.gzip", { upload_id: upload.id });
    expect(job.status).toBe("succeeded");
    const { size, gzip_size: gzipSize, download } = job.result;
    expect(size).toBe(original.length);
    expect(gzipSize).toBeLessThan(size);
    expect(download.url).toMatch(new RegExp(`^${server.url}/v1/downloads/dl_\\w+\\?expires=\\d+&signature=[\\w-]+$`));
    expect(Date.parse(download.expires_at)).toBeGreaterThan(Date.now());

    const whole = await fetch(download.url);
    expect(whole.status).toBe(200);
    expect(whole.headers.get("accept-ranges")).toBe("bytes");
    expect(whole.headers.get("content-length")).toBe(String(gzipSize));
    const gz = new Uint8Array(await whole.arrayBuffer());
    expect(Buffer.from(gunzipSync(gz)).equals(Buffer.from(original))).toBe(true);

    const ranged = await apiRequest("", "GET", download.url, { token: null, headers: { range: "bytes=10-109" }, unchecked: true });
    expect(ranged.status).toBe(206);
    expect(ranged.headers.get("content-range")).toBe(`bytes 10-109/${gzipSize}`);
    expect(ranged.headers.get("content-length")).toBe("100");
    const partial = new Uint8Array(await (await fetch(download.url, { headers: { range: "bytes=10-109" } })).arrayBuffer());
    expect(Buffer.from(partial).equals(Buffer.from(gz.subarray(10, 110)))).toBe(true);
    const suffix = new Uint8Array(await (await fetch(download.url, { headers: { range: "bytes=-8" } })).arrayBuffer());
    expect(Buffer.from(suffix).equals(Buffer.from(gz.subarray(gz.length - 8)))).toBe(true);

    const outside = await apiRequest("", "GET", download.url, { token: null, headers: { range: `bytes=${gzipSize}-` } });
    expect([outside.status, outside.body.code]).toEqual([416, "invalid_request"]);
    expect(outside.headers.get("content-range")).toBe(`bytes */${gzipSize}`);

    const tampered = download.url.replace(/signature=./, (m: string) => (m.endsWith("A") ? `${m.slice(0, -1)}B` : `${m.slice(0, -1)}A`));
    const refused = await apiRequest("", "GET", tampered, { token: null });
    expect([refused.status, refused.body.code]).toEqual([403, "invalid_signature"]);
    const url = new URL(download.url);
    const expiredQuery = createUrlSigner(signingKey()).signDownload({ blobId: url.pathname.split("/").pop()!, expires: 1 });
    const expired = await apiRequest("", "GET", `${url.origin}${url.pathname}?${expiredQuery}`, { token: null });
    expect([expired.status, expired.body.code]).toEqual([403, "url_expired"]);
  });

  test("file jobs refuse anything but a completed upload of the same tenant (422 invalid_input at /input/upload_id)", async () => {
    const pending = await createUpload({ size: 1 });
    const foreign = (
      await apiRequest<Upload>(server.url, "POST", "/v1/uploads", {
        token: OTHER_TOKEN,
        body: { filename: "g", content_type: "text/plain", size: 0 },
      })
    ).body;
    const foreignPut = await putPart(foreign.parts[0]!.url!, "");
    await apiRequest(server.url, "POST", `/v1/uploads/${foreign.id}/complete`, {
      token: OTHER_TOKEN,
      body: { parts: [{ number: 1, etag: foreignPut.headers.get("etag")! }] },
    });
    for (const type of ["file.checksum", "file.gzip"]) {
      for (const uploadId of [pending.id, foreign.id, "upl_missing"]) {
        const response = await api("POST", "/v1/jobs", { body: { type, input: { upload_id: uploadId } } });
        expect([response.status, response.body.code], `${type} ${uploadId}`).toEqual([422, "invalid_input"]);
        expect(response.body.errors).toEqual([expect.objectContaining({ path: "/input/upload_id" })]);
      }
    }
    const badAlgorithm = await api("POST", "/v1/jobs", { body: { type: "file.checksum", input: { upload_id: pending.id, algorithm: "md5" } } });
    expect([badAlgorithm.status, badAlgorithm.body.code]).toEqual([422, "invalid_input"]);
  });
});
