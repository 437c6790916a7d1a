import { createHash, randomBytes } from "node:crypto";
import { mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { buffer } from "node:stream/consumers";
import { afterAll, describe, expect, test } from "vitest";
import { SizeMismatchError } from "../../src/blobs/blob-store.ts";
import { createLocalDiskBlobStore } from "../../src/blobs/local-disk-blob-store.ts";
import { createUploadsFeature } from "../../src/uploads/index.ts";

const root = mkdtempSync(join(tmpdir(), "blobs-"));
afterAll(() => rmSync(root, { recursive: true, force: true }));
const blobs = createLocalDiskBlobStore(root);

async function* chunks(...parts: (string | Uint8Array)[]) {
  for (const part of parts) yield typeof part === "string" ? Buffer.from(part) : part;
}
const sha256 = (text: string) => `"${createHash("sha256").update(text).digest("hex")}"`;
const leftovers = (uploadId: string) => readdirSync(join(root, "uploads", uploadId)).filter((n) => n.startsWith(".tmp"));

describe("local disk blob store", () => {
  test("writes a part from chunks and answers its quoted SHA-256 ETag", async () => {
    const part = await blobs.writePart("upl_a", 1, chunks("hel", "lo"), 5);
    expect(part).toEqual({ number: 1, size: 5, etag: sha256("hello") });
  });

  test("a body of many uneven chunks, over several write batches, is stored byte for byte", async () => {
    // 3,000 chunks of 1..2,000 bytes (~3 MB): several gathered writes, the last one short.
    const pieces = Array.from({ length: 3000 }, (_, i) => randomBytes(1 + ((i * 7919) % 2000)));
    const whole = Buffer.concat(pieces);
    const part = await blobs.writePart("upl_many", 1, chunks(...pieces), whole.byteLength);
    expect(part.etag).toBe(`"${createHash("sha256").update(whole).digest("hex")}"`);
    expect(Buffer.compare(await buffer(blobs.readUpload("upl_many", [part])), whole)).toBe(0);
    expect(leftovers("upl_many")).toEqual([]);
  });

  test("a part stored by an earlier release under its MD5 name still reads back", async () => {
    const md5 = createHash("md5").update("legacy").digest("hex");
    mkdirSync(join(root, "uploads", "upl_legacy"), { recursive: true });
    writeFileSync(join(root, "uploads", "upl_legacy", `1.${md5}`), "legacy");
    const part = { number: 1, size: 6, etag: `"${md5}"` };
    expect((await buffer(blobs.readUpload("upl_legacy", [part]))).toString()).toBe("legacy");
    await blobs.deletePart("upl_legacy", part);
    expect(readdirSync(join(root, "uploads", "upl_legacy"))).toEqual([]);
  });

  test("a body longer than the part is refused while streaming, shorter at its end; nothing is kept", async () => {
    let pulled = 0;
    async function* endless() {
      for (;;) {
        pulled += 1;
        yield Buffer.alloc(1024);
      }
    }
    await expect(blobs.writePart("upl_b", 1, endless(), 4096)).rejects.toMatchObject({ name: "SizeMismatchError", tooLong: true });
    expect(pulled).toBe(5); // stopped at the first chunk over the size
    const short = blobs.writePart("upl_b", 2, chunks("abc"), 4);
    await expect(short).rejects.toBeInstanceOf(SizeMismatchError);
    await expect(short).rejects.toMatchObject({ received: 3, tooLong: false });
    expect(readdirSync(join(root, "uploads", "upl_b"))).toEqual([]);
  });

  test("reads the parts in order, whole or by range across part boundaries", async () => {
    const parts = [
      await blobs.writePart("upl_c", 1, chunks("0123"), 4),
      await blobs.writePart("upl_c", 2, chunks("4567"), 4),
      await blobs.writePart("upl_c", 3, chunks("89"), 2),
    ];
    const read = async (range?: { start: number; end: number }) => (await buffer(blobs.readUpload("upl_c", parts, range))).toString();
    expect(await read()).toBe("0123456789");
    expect(await read({ start: 3, end: 8 })).toBe("345678");
    expect(await read({ start: 4, end: 7 })).toBe("4567");
    expect(await read({ start: 9, end: 9 })).toBe("9");
    expect(leftovers("upl_c")).toEqual([]);
  });

  test("re-sending a part with other bytes keeps both versions apart until the old one is deleted", async () => {
    const first = await blobs.writePart("upl_d", 1, chunks("aaaa"), 4);
    const second = await blobs.writePart("upl_d", 1, chunks("bbbb"), 4);
    expect(second.etag).not.toBe(first.etag);
    expect((await buffer(blobs.readUpload("upl_d", [first]))).toString()).toBe("aaaa");
    await blobs.deletePart("upl_d", first);
    expect((await buffer(blobs.readUpload("upl_d", [second]))).toString()).toBe("bbbb");
    await blobs.deleteUpload("upl_d");
    await expect(buffer(blobs.readUpload("upl_d", [second]))).rejects.toMatchObject({ code: "ENOENT" });
  });

  test("outputs: write, stat, ranged read, delete, sweep by age", async () => {
    expect(await blobs.writeBlob("dl_1", chunks("hello ", "world"))).toEqual({ size: 11 });
    expect(await blobs.statBlob("dl_1")).toEqual({ size: 11 });
    expect((await buffer(blobs.readBlob("dl_1", { start: 6, end: 10 }))).toString()).toBe("world");
    await blobs.deleteBlob("dl_1");
    expect(await blobs.statBlob("dl_1")).toBeNull();
    await blobs.writeBlob("dl_2", chunks("x"));
    expect(await blobs.deleteBlobsBefore(Date.now() - 60_000)).toBe(0);
    expect(await blobs.deleteBlobsBefore(Date.now() + 60_000)).toBe(1);
    expect(await blobs.statBlob("dl_2")).toBeNull();
  });

  test("ids that could escape the directory are refused", async () => {
    await expect(blobs.writePart("../x", 1, chunks(""), 0)).rejects.toThrow(/unsafe/);
    expect(() => blobs.readBlob("a/../../b")).toThrow(/unsafe/);
  });
});

describe("a DELETE or expiry racing a part PUT (spec §4.3)", () => {
  /** A part body that sends half, then waits for `release` before the rest. */
  function heldBody(size: number) {
    let release!: () => void;
    const released = new Promise<void>((resolve) => (release = resolve));
    let started!: () => void;
    const begun = new Promise<void>((resolve) => (started = resolve));
    async function* body() {
      yield Buffer.alloc(size / 2, 1);
      started();
      await released;
      yield Buffer.alloc(size / 2, 2);
    }
    return { body: body(), begun, release };
  }

  async function racing(end: (feature: ReturnType<typeof createUploadsFeature>, id: string, advance: () => void) => Promise<unknown>) {
    let clock = Date.UTC(2030, 0, 1);
    const feature = createUploadsFeature({ store: `sqlite:${join(root, `race-${Math.random()}.db`)}`, blobs: join(root, "race"), minPartSize: 1, now: () => clock });
    await feature.migrate();
    const upload = await feature.service.create("acme", "http://127.0.0.1:1", { filename: "a", content_type: "text/plain", size: 8 });
    const q = Object.fromEntries(new URL(upload.parts[0]!.url!).searchParams) as Record<string, string>;
    const held = heldBody(8);
    // A first part makes the upload's directory exist, so the racing write is mid-stream in it.
    const put = feature.service.putPart({ uploadId: upload.id, number: 1, size: 8, expires: Number(q.expires), signature: q.signature!, body: held.body });
    const settled = put.then(
      (etag) => ({ etag }),
      (error: unknown) => ({ error }),
    );
    await held.begun;
    await end(feature, upload.id, () => (clock += 25 * 3600 * 1000));
    held.release();
    const outcome = await settled;
    await feature.close();
    return outcome;
  }

  test("DELETE while the part streams: 409 upload_not_pending, never 500", async () => {
    const outcome = await racing((feature, id) => feature.service.abort("acme", id));
    expect(outcome).toMatchObject({ error: { code: "upload_not_pending", status: 409 } });
  });

  test("expiry cleanup while the part streams: 409 upload_not_pending, never 500", async () => {
    const outcome = await racing(async (feature, _id, advance) => {
      advance();
      expect((await feature.cleanupExpired()).expired).toBe(1);
    });
    expect(outcome).toMatchObject({ error: { code: "upload_not_pending", status: 409 } });
  });
});
