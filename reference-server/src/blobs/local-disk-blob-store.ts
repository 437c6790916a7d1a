import { createHash, randomUUID } from "node:crypto";
import { createReadStream } from "node:fs";
import { type FileHandle, mkdir, open, readdir, rename, rm, stat } from "node:fs/promises";
import { dirname, join } from "node:path";
import { Readable } from "node:stream";
import type { ByteRange } from "async-jobs/protocol";
import { assertSafeId, type BlobStore, SizeMismatchError, type StoredPart } from "./blob-store.ts";

/**
 * A {@link BlobStore} on a local (or shared, e.g. NFS) directory:
 * `uploads/<upload id>/<part>.<sha256>` and `outputs/<blob id>`.
 *
 * Several machines can share the directory: every write goes to a uniquely named temp file in
 * the target's own directory, is fsynced, then renamed into place (atomic on POSIX, also over
 * NFS), and the directory is fsynced after each mkdir and rename, so a part acknowledged to the
 * client survives a power loss (the file's own fsync does not persist its name). Part files are
 * named after their content hash, so two writers never clobber each other's half-written data and
 * a completed upload keeps pointing at the exact bytes it verified.
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
    // 64 hex digits: SHA-256; 32: an MD5 named by an earlier release (decision 0015).
    if (!/^(?:[0-9a-f]{32}|[0-9a-f]{64})$/.test(hex)) throw new Error(`not a part ETag of this store: ${part.etag}`);
    return join(uploadDir(uploadId), `${part.number}.${hex}`);
  };
  const outputPath = (blobId: string) => {
    assertSafeId(blobId);
    return join(root, "outputs", blobId);
  };

  /** Creates `dir` (and missing parents) and makes the new names durable. */
  async function makeDir(dir: string): Promise<void> {
    const first = await mkdir(dir, { recursive: true });
    if (first === undefined) return;
    // Each created directory's name lives in its parent: sync those, deepest first.
    for (let created = dir; ; created = dirname(created)) {
      await syncDir(dirname(created));
      if (created === first || created === dirname(created)) break;
    }
  }

  /** Renames a temp file into place and syncs the directory, so the name is durable too. */
  async function renameDurably(temp: string, target: string): Promise<void> {
    await rename(temp, target);
    await syncDir(dirname(target));
  }

  /** Streams `source` to a temp file in `dir`, fsyncs it once; the caller renames it. */
  async function writeTemp(
    dir: string,
    source: AsyncIterable<Uint8Array>,
    onChunk: (chunk: Uint8Array) => void,
  ): Promise<string> {
    await makeDir(dir);
    const temp = join(dir, `.tmp-${randomUUID()}`);
    const file = await open(temp, "wx");
    try {
      await writeChunks(file, source, onChunk);
      // The bytes (and the size) are durable before the rename makes them visible; the name is
      // made durable by the directory's fsync after the rename.
      await file.datasync();
    } catch (error) {
      await file.close().catch(() => {});
      await rm(temp, { force: true });
      throw error;
    }
    await file.close();
    return temp;
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
    async createUpload() {
      // The upload's directory appears with its first part.
    },
    async writePart(uploadId, number, source, size) {
      const dir = uploadDir(uploadId);
      // SHA-256 runs on the CPU's SHA extensions: about twice MD5's speed here (decision 0015).
      const hash = createHash("sha256");
      let received = 0;
      const temp = await writeTemp(dir, source, (chunk) => {
        received += chunk.byteLength;
        // Refuse as soon as the body runs over: a wrong 5 GiB body is never written whole.
        if (received > size) throw new SizeMismatchError(size, received, true);
        hash.update(chunk);
      });
      if (received !== size) {
        await rm(temp, { force: true });
        throw new SizeMismatchError(size, received, false);
      }
      const part: StoredPart = { number, size, etag: `"${hash.digest("hex")}"` };
      await renameDurably(temp, partPath(uploadId, part));
      return part;
    },
    async deletePart(uploadId, part) {
      await rm(partPath(uploadId, part), { force: true });
    },
    async completeParts() {
      // Parts stay where they are; readUpload streams them in order.
    },
    async reopenUpload() {
      // Nothing was sealed: the parts are still there for another complete.
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
      await renameDurably(temp, target);
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

// Socket chunks (64 KiB) are gathered into one `writev` of about this many bytes: a system call
// and a thread-pool round trip per half MiB instead of one per chunk (decision 0021).
const GATHER_BYTES = 512 * 1024;
// At most this many gathered writes are on the thread pool at once: the disk stays busy while
// the socket is read and hashed, and a slow disk holds at most (2 + 1) × 512 KiB of a part in
// memory.
const WRITES_IN_FLIGHT = 2;

/**
 * Writes every chunk of `source` to `file`, calling `onChunk` on each first (it may throw to
 * stop). Chunks are gathered into positional `writev`s of {@link GATHER_BYTES} on the thread
 * pool, so the next chunks are read and hashed meanwhile; the writes may finish in any order.
 */
async function writeChunks(file: FileHandle, source: AsyncIterable<Uint8Array>, onChunk: (chunk: Uint8Array) => void) {
  const writes: Promise<void>[] = [];
  let position = 0;
  let gathered: Uint8Array[] = [];
  let gatheredBytes = 0;
  const writeGathered = () => {
    const write = writeAllAt(file, gathered, gatheredBytes, position);
    write.catch(() => {}); // awaited below; this only marks it handled meanwhile
    writes.push(write);
    position += gatheredBytes;
    gathered = [];
    gatheredBytes = 0;
  };
  try {
    for await (const chunk of source) {
      onChunk(chunk);
      gathered.push(chunk);
      gatheredBytes += chunk.byteLength;
      if (gatheredBytes < GATHER_BYTES) continue;
      writeGathered();
      if (writes.length >= WRITES_IN_FLIGHT) await writes.shift();
    }
    if (gatheredBytes > 0) writeGathered();
  } catch (error) {
    await Promise.allSettled(writes);
    throw error;
  }
  await Promise.all(writes);
}

/** Writes `chunks` (`size` bytes in all) at `position` until every byte is written (a write may be short). */
async function writeAllAt(file: FileHandle, chunks: Uint8Array[], size: number, position: number): Promise<void> {
  const { bytesWritten } = await file.writev(chunks, position);
  if (bytesWritten === size) return;
  const rest = Buffer.concat(chunks).subarray(bytesWritten);
  for (let done = 0; done < rest.byteLength; ) {
    const written = await file.write(rest, done, rest.byteLength - done, position + bytesWritten + done);
    done += written.bytesWritten;
  }
}

/** fsync of a directory: persists the names created, renamed or removed in it (POSIX). */
async function syncDir(dir: string): Promise<void> {
  const handle = await open(dir, "r");
  try {
    await handle.sync();
  } finally {
    await handle.close();
  }
}
