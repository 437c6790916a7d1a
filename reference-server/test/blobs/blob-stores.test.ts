import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { buffer } from "node:stream/consumers";
import { expect, test } from "vitest";
import { createLocalDiskBlobStore } from "../../src/blobs/local-disk-blob-store.ts";
import { createS3BlobStore } from "../../src/blobs/s3-blob-store.ts";
import { startS3TestServer } from "../../../test/helpers/s3-test-server.ts";
import { describeBlobStore } from "./blob-store-contract.ts";

describeBlobStore("local disk", async () => {
  const dir = mkdtempSync(join(tmpdir(), "blob-contract-"));
  return { blobs: createLocalDiskBlobStore(dir), close: async () => rmSync(dir, { recursive: true, force: true }), etagHash: "sha256" };
});

describeBlobStore("S3 (s3rver on loopback)", async () => {
  const s3 = await startS3TestServer();
  // Small output parts, so a 6 MiB output is a real multipart upload.
  const blobs = createS3BlobStore(s3.blobsUrl("contract"), { outputPartSize: 5 * 1024 * 1024 });
  return {
    blobs,
    etagHash: "md5",
    async close() {
      await blobs.close();
      await s3.close();
    },
  };
});

test("S3: presigned GetObject of an output serves Range (206) and refuses an expired URL with the store's own 403", async () => {
  const s3 = await startS3TestServer();
  const blobs = createS3BlobStore(s3.blobsUrl("presign"));
  try {
    await blobs.writeBlob("dl_presign", (async function* () {
      yield Buffer.from("0123456789");
    })());
    const url = await blobs.direct!.presignDownload("dl_presign", Date.now(), 60);
    expect(new URL(url).origin).toBe(s3.endpoint);
    const ranged = await fetch(url, { headers: { range: "bytes=2-5" } });
    expect([ranged.status, ranged.headers.get("content-range"), await ranged.text()]).toEqual([206, "bytes 2-5/10", "2345"]);
    const whole = await fetch(url);
    expect([whole.status, await whole.text()]).toEqual([200, "0123456789"]);
    const expired = await blobs.direct!.presignDownload("dl_presign", Date.now() - 120_000, 60);
    const refused = await fetch(expired);
    expect(refused.status).toBe(403);
    expect(await refused.text()).toContain("<Code>AccessDenied</Code>");
    expect((await buffer(blobs.readBlob("dl_presign"))).toString()).toBe("0123456789");
  } finally {
    await blobs.close();
    await s3.close();
  }
});
