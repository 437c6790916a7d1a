import { createHash, randomBytes } from "node:crypto";
import { existsSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Readable } from "node:stream";
import { buffer } from "node:stream/consumers";
import { gunzipSync } from "node:zlib";
import { afterAll, describe, expect, test } from "vitest";
import { checksumWithProgress } from "../../src/job-types/file-checksum.ts";
import { gzipWithProgress } from "../../src/job-types/file-gzip.ts";
import { createUploadsFeature } from "../../src/uploads/index.ts";

const dir = mkdtempSync(join(tmpdir(), "upload-service-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

async function* chunksOf(bytes: Uint8Array, size: number) {
  for (let i = 0; i < bytes.length; i += size) yield bytes.subarray(i, i + size);
}

describe("expiry and cleanup (clock injected)", () => {
  test("a pending upload expires after 24 h: it reads as expired, cleanup drops its parts, later forgets it", async () => {
    let clock = Date.UTC(2030, 0, 1);
    const feature = createUploadsFeature({
      store: `sqlite:${join(dir, "jobs.db")}`,
      blobs: join(dir, "blobs"),
      minPartSize: 1,
      now: () => clock,
    });
    await feature.migrate();
    const uploads = feature.service;
    const upload = await uploads.create("acme", "http://127.0.0.1:1", { filename: "a", content_type: "text/plain", size: 3 });
    expect(Date.parse(upload.expires_at) - clock).toBe(24 * 3600 * 1000);
    const url = new URL(upload.parts[0]!.url!);
    const q = Object.fromEntries(url.searchParams) as Record<string, string>;
    const put = (body: AsyncIterable<Uint8Array>) =>
      uploads.putPart({ uploadId: upload.id, number: 1, size: 3, expires: Number(q.expires), signature: q.signature!, body });
    const etag = await put(chunksOf(Buffer.from("abc"), 2));
    expect(existsSync(join(dir, "blobs", "uploads", upload.id))).toBe(true);

    clock += 3600 * 1000; // the part URL's hour is up
    await expect(put(chunksOf(Buffer.from("abc"), 3))).rejects.toMatchObject({ code: "url_expired", status: 403 });

    expect(await feature.cleanupExpired()).toMatchObject({ expired: 0 });
    clock += 23 * 3600 * 1000; // the upload's day is up
    expect((await uploads.get("acme", upload.id)).status).toBe("expired");
    await expect(uploads.complete("acme", upload.id, { parts: [{ number: 1, etag }] })).rejects.toMatchObject({
      code: "upload_not_pending",
    });
    expect(await feature.cleanupExpired()).toMatchObject({ expired: 1 });
    expect(existsSync(join(dir, "blobs", "uploads", upload.id))).toBe(false);
    expect((await uploads.get("acme", upload.id)).parts[0]!.etag).toBeNull();
    expect(await feature.cleanupExpired()).toMatchObject({ expired: 0, purged: 0 });

    clock += 8 * 24 * 3600 * 1000; // past the retention of ended uploads
    expect(await feature.cleanupExpired()).toMatchObject({ purged: 1 });
    await expect(uploads.get("acme", upload.id)).rejects.toMatchObject({ code: "not_found", status: 404 });
    await feature.close();
  });

  test("outputs are swept once their download URLs have expired", async () => {
    let clock = Date.now();
    const feature = createUploadsFeature({ store: `sqlite:${join(dir, "jobs2.db")}`, blobs: join(dir, "blobs2"), now: () => clock, downloadUrlTtlS: 60 });
    await feature.migrate();
    const { download } = await feature.service.createDownload("http://x", chunksOf(Buffer.from("out"), 3));
    expect(Date.parse(download.expires_at) - clock).toBeLessThanOrEqual(60_000);
    expect(await feature.cleanupExpired()).toMatchObject({ outputs: 0 });
    clock += 120_000;
    expect(await feature.cleanupExpired()).toMatchObject({ outputs: 1 });
    await feature.close();
  });
});

describe("streaming logic of the file job types", () => {
  const bytes = randomBytes(1_000_003);

  test("checksum streams with progress by bytes: rising, at most 101 reports, ending at 100", async () => {
    const reports: number[] = [];
    const result = await checksumWithProgress(chunksOf(bytes, 4096), bytes.length, {
      report: async (percent, message) => {
        reports.push(percent);
        expect(message).toMatch(/^\d+ of 1000003 bytes$/);
      },
    });
    expect(result).toEqual({ sha256: createHash("sha256").update(bytes).digest("hex"), size: bytes.length });
    expect(reports.at(-1)).toBe(100);
    expect(reports.length).toBeLessThanOrEqual(101);
    expect(reports).toEqual([...reports].sort((a, b) => a - b));
    expect(new Set(reports).size).toBe(reports.length);
  });

  test("checksum stops when the job is canceled", async () => {
    const controller = new AbortController();
    const source = Readable.from(chunksOf(bytes, 1024));
    const hashing = checksumWithProgress(source, bytes.length, {
      signal: controller.signal,
      report: async (percent) => {
        if (percent >= 10) controller.abort(new Error("canceled"));
      },
    });
    await expect(hashing).rejects.toThrow("canceled");
    expect(source.destroyed).toBe(true);
  });

  test("gzip compresses on the fly and round-trips; source errors and aborts reach the consumer", async () => {
    const text = Buffer.from("abc ".repeat(100_000));
    const reports: number[] = [];
    const compressed = await buffer(gzipWithProgress(chunksOf(text, 8192), text.length, { report: async (p) => void reports.push(p) }));
    expect(gunzipSync(compressed).equals(text)).toBe(true);
    expect(compressed.length).toBeLessThan(text.length / 10);
    expect(reports.at(-1)).toBe(100);

    async function* failing() {
      yield Buffer.from("x");
      throw new Error("disk gone");
    }
    await expect(buffer(gzipWithProgress(failing(), 10))).rejects.toThrow("disk gone");
    const controller = new AbortController();
    controller.abort(new Error("canceled"));
    await expect(buffer(gzipWithProgress(chunksOf(text, 8192), text.length, { signal: controller.signal }))).rejects.toThrow("canceled");
  });
});
