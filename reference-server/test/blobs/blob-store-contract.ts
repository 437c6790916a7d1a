import { createHash, randomBytes } from "node:crypto";
import { buffer } from "node:stream/consumers";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import type { BlobStore, StoredPart } from "../../src/blobs/blob-store.ts";

/** A store under test, and how its clients store a part (our PUT handler's call, or a presigned PUT). */
export interface BlobStoreUnderTest {
  blobs: BlobStore;
  close(): Promise<void>;
  /** The hash a part's quoted ETag holds: S3's MD5, the local disk's SHA-256 (decision 0015). */
  etagHash: "md5" | "sha256";
}
let sequence = 0;
const freshId = (what: string) => `${what}_${process.pid}_${Date.now()}_${(sequence += 1)}`;

async function* once(bytes: Uint8Array) {
  yield bytes;
}

/** Stores one part the way a client of this store does; resolves with what complete lists. */
async function storePart(blobs: BlobStore, uploadId: string, number: number, bytes: Uint8Array): Promise<StoredPart> {
  if (!blobs.direct) return blobs.writePart(uploadId, number, once(bytes), bytes.byteLength);
  const url = await blobs.direct.presignPart(uploadId, number, bytes.byteLength, Date.now(), 600);
  const answer = await fetch(url, { method: "PUT", body: bytes as Uint8Array<ArrayBuffer>, headers: { "content-type": "application/octet-stream" } });
  expect(answer.status).toBe(200);
  return { number, size: bytes.byteLength, etag: answer.headers.get("etag")! };
}

/**
 * The one suite every {@link BlobStore} passes: parts in, sealed, read back whole
 * and by range, reopened after a checksum mismatch, dropped; outputs written, ranged, swept.
 *
 * @example
 * describeBlobStore("local disk", async () => ({ blobs: createLocalDiskBlobStore(dir), close: async () => {}, etagHash: "sha256" }));
 */
export function describeBlobStore(name: string, open: () => Promise<BlobStoreUnderTest>): void {
  describe(`blob store contract: ${name}`, () => {
    let under: BlobStoreUnderTest;
    beforeAll(async () => {
      under = await open();
    });
    afterAll(() => under?.close());

    test("parts stored by a client are sealed and read back in order, whole or by range across parts; ETags are the store's quoted hash", async () => {
      const { blobs, etagHash } = under;
      const id = freshId("upl");
      await blobs.createUpload(id);
      const bytes = [randomBytes(64 * 1024), randomBytes(64 * 1024), randomBytes(1000)];
      const parts = await Promise.all(bytes.map((b, i) => storePart(blobs, id, i + 1, b)));
      expect(parts.map((p) => p.etag)).toEqual(bytes.map((b) => `"${createHash(etagHash).update(b).digest("hex")}"`));
      await blobs.completeParts(id, parts);
      const whole = Buffer.concat(bytes);
      expect(Buffer.compare(await buffer(blobs.readUpload(id, parts)), whole)).toBe(0);
      const range = { start: 64 * 1024 - 10, end: 128 * 1024 + 9 };
      expect(Buffer.compare(await buffer(blobs.readUpload(id, parts, range)), whole.subarray(range.start, range.end + 1))).toBe(0);
    });

    test("a reopened upload takes parts again and seals the new bytes", async () => {
      const { blobs } = under;
      const id = freshId("upl");
      await blobs.createUpload(id);
      const first = [await storePart(blobs, id, 1, Buffer.from("wrong bytes"))];
      await blobs.completeParts(id, first);
      await blobs.reopenUpload(id);
      const second = [await storePart(blobs, id, 1, Buffer.from("right bytes"))];
      await blobs.completeParts(id, second);
      expect((await buffer(blobs.readUpload(id, second))).toString()).toBe("right bytes");
    });

    test("a dropped upload reads as nothing", async () => {
      const { blobs } = under;
      const id = freshId("upl");
      await blobs.createUpload(id);
      const parts = [await storePart(blobs, id, 1, Buffer.from("gone soon"))];
      await blobs.completeParts(id, parts);
      await blobs.deleteUpload(id);
      await expect(buffer(blobs.readUpload(id, parts))).rejects.toThrow();
      await blobs.deleteUpload(id); // idempotent
    });

    test("outputs of any size are written as a stream, stat'ed, read by range and swept when old", async () => {
      const { blobs } = under;
      const id = freshId("dl");
      const data = randomBytes(6 * 1024 * 1024 + 123);
      async function* chunks() {
        for (let at = 0; at < data.byteLength; at += 256 * 1024) yield data.subarray(at, at + 256 * 1024);
      }
      expect(await blobs.writeBlob(id, chunks())).toEqual({ size: data.byteLength });
      expect(await blobs.statBlob(id)).toEqual({ size: data.byteLength });
      expect(Buffer.compare(await buffer(blobs.readBlob(id, { start: 100, end: 5_000_000 })), data.subarray(100, 5_000_001))).toBe(0);
      expect(await blobs.deleteBlobsBefore(Date.now() - 3_600_000)).toBe(0);
      expect(await blobs.statBlob(id)).toEqual({ size: data.byteLength });
      expect(await blobs.deleteBlobsBefore(Date.now() + 60_000)).toBeGreaterThanOrEqual(1);
      expect(await blobs.statBlob(id)).toBeNull();
      expect(await blobs.statBlob(freshId("dl"))).toBeNull();
    });
  });
}
