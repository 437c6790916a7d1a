/**
 * An incremental SHA-256: feed bytes in order, read the lowercase hex digest once at the end.
 * Web Crypto only hashes a whole buffer at once, so the SDK brings its own (decision 0002);
 * the Node entry plugs in `node:crypto`, which is faster.
 *
 * @example
 * const h = createSha256(); h.update(bytes); const hex = h.digestHex()
 */
export interface Sha256 {
  update(bytes: Uint8Array): void;
  digestHex(): string;
}

/** Makes a fresh incremental SHA-256 (or a promise of one). @example const create: CreateSha256 = createSha256 */
export type CreateSha256 = () => Sha256 | Promise<Sha256>;

/**
 * The portable incremental SHA-256 (`@noble/hashes`), for browsers, edge runtimes and Node.
 * Loaded on first use: an app that never asks for `checksum: true` never downloads it
 * (about 2.8 KB min+gzip of the client's budget).
 *
 * @example
 * const h = await createSha256(); h.update(new TextEncoder().encode("abc")); h.digestHex() // "ba7816bf…"
 */
export async function createSha256(): Promise<Sha256> {
  const [{ sha256 }, { bytesToHex }] = await Promise.all([
    import("@noble/hashes/sha2.js"),
    import("@noble/hashes/utils.js"),
  ]);
  const hash = sha256.create();
  return {
    update: (bytes) => void hash.update(bytes),
    digestHex: () => bytesToHex(hash.digest()),
  };
}

/**
 * Hashes a sequence of chunks as they arrive, never holding more than one chunk.
 *
 * @example
 * const hex = await sha256OfChunks(blob.stream())
 */
export async function sha256OfChunks(
  chunks: AsyncIterable<Uint8Array>,
  create: CreateSha256 = createSha256,
  signal?: AbortSignal,
): Promise<string> {
  const hash = await create();
  for await (const chunk of chunks) {
    signal?.throwIfAborted();
    hash.update(chunk);
  }
  return hash.digestHex();
}
