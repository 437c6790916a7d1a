import { bodyBytes } from "./part-transport.ts";
import type { PartSource } from "./part-source.ts";
import type { CreateSha256 } from "./sha256-stream.ts";

/** Bytes hashed from each end of a source for its content sample. */
const sampleBytes = 64 * 1024;

/**
 * The fingerprint `resume: "auto"` keys a source by: what identifies it without reading it
 * (a `File`'s name, size, modification time and type; a Node file's path, size and mtime),
 * and, with `sample` or when there is nothing else (bytes, a nameless `Blob`), a SHA-256 of its
 * first and last 64 KiB. `undefined` for a stream without metadata: it cannot be read twice.
 *
 * @example
 * await sourceFingerprint(blobSource(file), { sample: false, createSha256 }) // 'file:v1:["a.csv",…]'
 */
export async function sourceFingerprint(
  source: PartSource,
  options: { sample: boolean; createSha256: CreateSha256; signal?: AbortSignal | undefined },
): Promise<string | undefined> {
  const metadata = source.fingerprint;
  if (metadata !== undefined && !options.sample) return metadata;
  if (source.sequential) return metadata;
  const hash = await options.createSha256();
  const head = Math.min(sampleBytes, source.size);
  const tailStart = Math.max(head, source.size - sampleBytes);
  for (const [start, end] of [[0, head], [tailStart, source.size]] as const) {
    if (end <= start) continue;
    const body = await bodyBytes(await source.read(start, end, options.signal));
    hash.update(body instanceof Uint8Array ? body : new Uint8Array(await body.arrayBuffer()));
  }
  const sample = `sample:v1:${source.size}:${hash.digestHex()}`;
  return metadata === undefined ? sample : `${metadata}|${sample}`;
}
