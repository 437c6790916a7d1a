import { AsyncJobsError } from "../errors.ts";
import type { Part } from "../types.ts";
import type { SignedPart } from "./put-part.ts";
import type { UploadApi } from "./upload-api.ts";

/** part-urls signs at most this many parts per call (spec §4). @example numbers.slice(0, maxPartUrlsPerCall) */
export const maxPartUrlsPerCall = 100;

/** A URL this close to its expiry is renewed before sending, not after a refused body… */
const expiryMarginMs = 5_000;
/** …or, for short-lived URLs, within this fraction of its lifetime. */
const expiryMarginShare = 0.25;

/**
 * Keeps each part's signed URL. The create answer signs the first 100 parts; `get` signs the
 * rest lazily, in batches of up to 100 taken in sending order, so a 10,000-part upload makes
 * 99 part-urls calls, not 9,900. `renew` replaces a URL the server refused.
 *
 * @example
 * const book = createPartUrlBook({ api, uploadId, parts: upload.parts, order: [1, 2, 3] })
 * const part = await book.get(1)
 */
export function createPartUrlBook(init: {
  api: UploadApi;
  uploadId: string;
  parts: readonly Part[];
  /** Part numbers in the order they will be sent. */
  order: readonly number[];
  signal?: AbortSignal | undefined;
  now?: () => number;
}) {
  const { api, uploadId, order, signal, now = Date.now } = init;
  const signed = new Map<number, SignedPart>();
  const signedAt = new Map<number, number>();
  const inFlight = new Map<number, Promise<void>>();
  const position = new Map(order.map((n, i) => [n, i]));
  const keep = (part: Part) => {
    signed.set(part.number, part as SignedPart);
    signedAt.set(part.number, now());
  };
  for (const part of init.parts) if (part.url) keep(part);

  const fresh = (part: SignedPart | undefined): part is SignedPart => {
    if (!part) return false;
    if (!part.url_expires_at) return true;
    const expires = Date.parse(part.url_expires_at);
    const lifetime = expires - (signedAt.get(part.number) ?? now());
    return expires - Math.min(expiryMarginMs, lifetime * expiryMarginShare) > now();
  };

  function sign(numbers: number[]): Promise<void> {
    const batch = api.partUrls(uploadId, numbers, signal).then((parts) => {
      for (const part of parts) {
        if (!part.url) throw new AsyncJobsError(`part-urls answered part ${part.number} without a url`);
        keep(part);
      }
    });
    const settled = batch.finally(() => {
      for (const n of numbers) if (inFlight.get(n) === settled) inFlight.delete(n);
    });
    for (const n of numbers) inFlight.set(n, settled);
    return settled;
  }

  async function signedOrThrow(number: number): Promise<SignedPart> {
    const part = signed.get(number);
    if (!part) throw new AsyncJobsError(`part-urls did not sign part ${number}`);
    return part;
  }

  return {
    /** A signed URL for part `number`, signing it and the next unsigned parts when needed. */
    async get(number: number): Promise<SignedPart> {
      const current = signed.get(number);
      if (fresh(current)) return current;
      const pending = inFlight.get(number);
      if (pending) {
        await pending;
        return signedOrThrow(number);
      }
      const batch = [number];
      for (let i = (position.get(number) ?? order.length) + 1; i < order.length && batch.length < maxPartUrlsPerCall; i++) {
        const n = order[i]!;
        if (!fresh(signed.get(n)) && !inFlight.has(n)) batch.push(n);
      }
      await sign(batch);
      return signedOrThrow(number);
    },
    /** A fresh URL for part `number`, whose URL the server refused. */
    async renew(number: number): Promise<SignedPart> {
      const pending = inFlight.get(number);
      if (pending) await pending;
      else await sign([number]);
      return signedOrThrow(number);
    },
  };
}
