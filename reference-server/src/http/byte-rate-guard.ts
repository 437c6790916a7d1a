import { requestTimeoutProblem } from "./raw-problems.ts";

/** Options of {@link guardByteRate}. */
export interface ByteRateGuardOptions {
  /** Slowest average accepted once the grace is over, bytes per second. 0 turns the guard off. */
  minBytesPerS: number;
  /** Head start before the rate counts: a body must have `minBytesPerS × (elapsed − grace)` bytes. */
  graceMs: number;
  /** How often the rate is checked. @default 1000 */
  checkEveryMs?: number;
  /** @default Date.now */
  now?: () => number;
}

/**
 * Passes a body through, failing it with `408` once it arrives slower than a minimum average
 * rate. A large part on a slow link keeps going; a client trickling bytes to hold a socket (or
 * sending nothing at all) is cut, even while no chunk arrives.
 *
 * @example
 * await blobs.writePart(id, n, guardByteRate(request.raw, { minBytesPerS: 16_384, graceMs: 30_000 }), size);
 */
export async function* guardByteRate(source: AsyncIterable<Uint8Array>, options: ByteRateGuardOptions): AsyncGenerator<Uint8Array> {
  if (options.minBytesPerS <= 0) return yield* source;
  const now = options.now ?? Date.now;
  const start = now();
  let bytes = 0;
  let tripped: Error | undefined;
  // Fails the wait for the chunk being read. Each chunk gets a fresh wait: a race against one
  // promise that lives as long as the body would keep every settled chunk reachable from it
  // until the body ends (8 MiB a part, promoted to the old generation: a major GC every few
  // dozen MiB of upload).
  const noWait = () => {};
  let failWait: (error: Error) => void = noWait;
  const timer = setInterval(() => {
    const owed = (options.minBytesPerS * (now() - start - options.graceMs)) / 1000;
    if (bytes < owed) {
      tripped ??= requestTimeoutProblem();
      failWait(tripped);
    }
  }, options.checkEveryMs ?? 1000);
  const iterator = source[Symbol.asyncIterator]();
  try {
    for (;;) {
      const next = await new Promise<IteratorResult<Uint8Array>>((resolve, reject) => {
        if (tripped) return reject(tripped);
        failWait = reject;
        iterator.next().then(resolve, reject);
      });
      failWait = noWait;
      if (next.done) return;
      bytes += next.value.byteLength;
      yield next.value;
    }
  } finally {
    clearInterval(timer);
    // Not awaited: after a trip the source is still waiting for a chunk that may never come.
    Promise.resolve(iterator.return?.()).catch(() => {});
  }
}
