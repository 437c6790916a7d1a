import { createHash } from "node:crypto";

/** Options of {@link hashStream}. */
export interface HashStreamOptions {
  /** Called after each chunk with the bytes hashed so far (progress by bytes). */
  onBytes?: (bytes: number) => void;
  /** Stops hashing (the job was canceled); the promise rejects with the signal's reason. */
  signal?: AbortSignal;
}

/**
 * SHA-256 (lowercase hex) and size of a byte stream, read chunk by chunk: memory stays flat
 * whatever the size.
 *
 * @example
 * const { sha256, size } = await hashStream(createReadStream("big.bin"));
 */
export async function hashStream(
  source: AsyncIterable<Uint8Array>,
  options: HashStreamOptions = {},
): Promise<{ sha256: string; size: number }> {
  const hash = createHash("sha256");
  let size = 0;
  options.signal?.throwIfAborted();
  for await (const chunk of source) {
    options.signal?.throwIfAborted();
    hash.update(chunk);
    size += chunk.byteLength;
    options.onBytes?.(size);
  }
  return { sha256: hash.digest("hex"), size };
}
