import { createHash, randomUUID } from "node:crypto";
import { createReadStream, createWriteStream } from "node:fs";
import { mkdir, readdir, rename, rm, stat } from "node:fs/promises";
import { join } from "node:path";
import { Readable } from "node:stream";
import { pipeline } from "node:stream/promises";
import type { ByteRange } from "async-jobs/protocol";
import { assertSafeId, type BlobStore, SizeMismatchError, type StoredPart } from "./blob-store.ts";

/**
 * A {@link BlobStore} on a local (or shared, e.g. NFS) directory:
 * `uploads/<upload id>/<part>.<md5>` and `outputs/<blob id>`.
 *
 * Several machines can share the directory: every write goes to a uniquely named temp file in
 * the target's own directory, is fsynced, then renamed into place (atomic on POSIX, also over
 * NFS), and part files are named after their content hash, so two writers never clobber each
 * other's half-written data and a completed upload keeps pointing at the exact bytes it verified.
 *
 * @example
 * const blobs = createLocalDiskBlobStore("./data/blobs");
 * const part = await blobs.writePart("upl_1", 1, request.raw, 5242880); // { number: 1, size, etag: "\"…\"" }
 */
export function createLocalDiskBlobStore(root: string): BlobStore {
  const uploadDir = (uploadId: string) => {
    assertSafeId(uploadId);
    return join(root, "uploads", uploadId);
  };
  const partPath = (uploadId: string, part: StoredPart) => {
    const hex = part.etag.replaceAll('"', "");
    if (!/^[0-9a-f]{32}$/.test(hex)) throw new Error(`not a part ETag of this store: ${part.etag}`);
    return join(uploadDir(uploadId), `${part.number}.${hex}`);
  };
  const outputPath = (blobId: string) => {
    assertSafeId(blobId);
    return join(root, "outputs", blobId);
  };

  /** Streams `source` to a temp file beside `dir`, fsyncs it; the caller renames it. */
  async function writeTemp(
    dir: string,
    source: AsyncIterable<Uint8Array>,
    onChunk: (chunk: Uint8Array) => void,
  ): Promise<string> {
    await mkdir(dir, { recursive: true });
    const temp = join(dir, `.tmp-${randomUUID()}`);
    try {
      await pipeline(
        source,
        async function* (chunks: AsyncIterable<Uint8Array>) {
          for await (const chunk of chunks) {
            onChunk(chunk);
            yield chunk;
          }
        },
        // flush: fsync before close, so the bytes are durable before the rename makes them visible.
        createWriteStream(temp, { flags: "wx", flush: true }),
      );
      return temp;
    } catch (error) {
      await rm(temp, { force: true });
      throw error;
    }
  }

  async function* readParts(uploadId: string, parts: readonly StoredPart[], range?: ByteRange) {
    let offset = 0;
    for (const part of parts) {
      const first = offset;
      const last = offset + part.size - 1;
      offset += part.size;
      if (part.size === 0 || (range && (last < range.start || first > range.end))) continue;
      const start = range ? Math.max(range.start - first, 0) : 0;
      const end = range ? Math.min(range.end - first, part.size - 1) : part.size - 1;
      yield* createReadStream(partPath(uploadId, part), { start, end });
    }
  }

  return {
    async writePart(uploadId, number, source, size) {
      const dir = uploadDir(uploadId);
      const md5 = createHash("md5");
      let received = 0;
      const temp = await writeTemp(dir, source, (chunk) => {
        received += chunk.byteLength;
        // Refuse as soon as the body runs over: a wrong 5 GiB body is never written whole.
        if (received > size) throw new SizeMismatchError(size, received, true);
        md5.update(chunk);
      });
      if (received !== size) {
        await rm(temp, { force: true });
        throw new SizeMismatchError(size, received, false);
      }
      const part: StoredPart = { number, size, etag: `"${md5.digest("hex")}"` };
      await rename(temp, partPath(uploadId, part));
      return part;
    },
    async deletePart(uploadId, part) {
      await rm(partPath(uploadId, part), { force: true });
    },
    async completeParts() {
      // Parts stay where they are; readUpload streams them in order.
    },
    readUpload(uploadId, parts, range) {
      return Readable.from(readParts(uploadId, parts, range), { objectMode: false });
    },
    async deleteUpload(uploadId) {
      await rm(uploadDir(uploadId), { recursive: true, force: true });
    },
    async writeBlob(blobId, source) {
      const target = outputPath(blobId);
      let size = 0;
      const temp = await writeTemp(join(root, "outputs"), source, (chunk) => {
        size += chunk.byteLength;
      });
      await rename(temp, target);
      return { size };
    },
    async statBlob(blobId) {
      try {
        const info = await stat(outputPath(blobId));
        return { size: info.size };
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code === "ENOENT") return null;
        throw error;
      }
    },
    readBlob(blobId, range) {
      return createReadStream(outputPath(blobId), range ? { start: range.start, end: range.end } : {});
    },
    async deleteBlob(blobId) {
      await rm(outputPath(blobId), { force: true });
    },
    async deleteBlobsBefore(olderThanMs) {
      const dir = join(root, "outputs");
      let names: string[];
      try {
        names = await readdir(dir);
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code === "ENOENT") return 0;
        throw error;
      }
      let removed = 0;
      for (const name of names) {
        const info = await stat(join(dir, name)).catch(() => null);
        if (info && info.mtimeMs < olderThanMs) {
          await rm(join(dir, name), { force: true });
          removed += 1;
        }
      }
      return removed;
    },
    async close() {},
  };
}
