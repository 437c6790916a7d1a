import { createHash } from "node:crypto";
import type { Part, Upload } from "async-jobs/types";
import { expectStatus } from "./assertions.ts";
import { type CheckContext, expect, skip } from "./check.ts";
import type { HttpResponse } from "./http-recorder.ts";

/** The biggest part the suite is willing to send (a server may require S3's 5 MiB). */
const MAX_PART = 8 * 1024 * 1024;

/**
 * Lowercase hex SHA-256.
 *
 * @example
 * sha256Hex(new Uint8Array()) // "e3b0c442…"
 */
export function sha256Hex(bytes: Uint8Array): string {
  return createHash("sha256").update(bytes).digest("hex");
}

/**
 * Deterministic pseudo-random bytes (so failures are reproducible).
 *
 * @example
 * const bytes = testBytes(3000, 7);
 */
export function testBytes(size: number, seed = 1): Uint8Array {
  const out = new Uint8Array(size);
  let x = seed * 2654435761 >>> 0 || 1;
  for (let i = 0; i < size; i++) {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    out[i] = x & 0xff;
  }
  return out;
}

export interface PreparedUpload {
  readonly upload: Upload;
  readonly bytes: Uint8Array;
  readonly res: HttpResponse;
  /** Bytes of part `n` (1-based). */
  partBytes(n: number): Uint8Array;
}

/**
 * POSTs /v1/uploads and fails unless 201.
 *
 * @example
 * const { upload } = await createUpload(ctx, bytes);
 */
export async function createUpload(
  ctx: CheckContext,
  bytes: Uint8Array,
  extra: { part_size?: number; sha256?: string; filename?: string } = {},
): Promise<PreparedUpload> {
  const res = await ctx.http.request("POST", "/v1/uploads", {
    json: { filename: extra.filename ?? "conformance.bin", content_type: "application/octet-stream", size: bytes.byteLength, ...extra },
  });
  expectStatus(res, 201, "create upload");
  const upload = res.body as Upload;
  expect(upload && typeof upload.id === "string" && Array.isArray(upload.parts) && upload.part_size > 0, "an Upload needs id, part_size and parts[]", res.exchange);
  return {
    upload,
    bytes,
    res,
    partBytes: (n) => bytes.subarray((n - 1) * upload.part_size, Math.min(bytes.byteLength, n * upload.part_size)),
  };
}

/**
 * Creates an upload of at least `minParts` parts, using the smallest part size the server allows.
 *
 * @example
 * const prepared = await createMultipartUpload(ctx, 2);
 */
export async function createMultipartUpload(ctx: CheckContext, minParts = 2, seed = 1, extra: { sha256?: (bytes: Uint8Array) => string } = {}): Promise<PreparedUpload> {
  const probeBytes = testBytes(3000, seed);
  const probe = await createUpload(ctx, probeBytes, { part_size: 1024, ...(extra.sha256 ? { sha256: extra.sha256(probeBytes) } : {}) });
  if (probe.upload.part_count >= minParts) return probe;
  let partSize = probe.upload.part_size;
  await ctx.http.request("DELETE", `/v1/uploads/${encodeURIComponent(probe.upload.id)}`);
  if (partSize > MAX_PART) skip(`the server's part size ${partSize} is too big for the suite`);
  partSize = Math.max(partSize, 1);
  const bytes = testBytes(partSize * (minParts - 1) + Math.ceil(partSize / 2) + 1, seed);
  const prepared = await createUpload(ctx, bytes, { part_size: partSize, ...(extra.sha256 ? { sha256: extra.sha256(bytes) } : {}) });
  expect(prepared.upload.part_count >= minParts, `a ${bytes.byteLength}-byte upload with part_size ${partSize} has ${prepared.upload.part_count} parts`, prepared.res.exchange);
  return prepared;
}

/**
 * PUTs bytes to a part's signed URL with its headers and no bearer token (spec §4).
 *
 * @example
 * const res = await putPart(ctx, upload.parts[0], bytes);
 */
export function putPart(ctx: CheckContext, part: Part, bytes: Uint8Array, url = part.url): Promise<HttpResponse> {
  expect(typeof url === "string", `part ${part.number} has no signed url`);
  return ctx.http.request(part.method ?? "PUT", url, {
    token: null,
    rawBody: bytes,
    headers: { ...(part.headers ?? {}) },
  });
}

/**
 * PUTs a part and, if its URL expired meanwhile (short test lifetimes), renews it through
 * part-urls once (spec §4: that is how an expired URL is renewed) and PUTs again.
 *
 * @example
 * const res = await storePart(ctx, upload.id, upload.parts[0], bytes);
 */
export async function storePart(ctx: CheckContext, uploadId: string, part: Part, bytes: Uint8Array): Promise<HttpResponse> {
  const res = await putPart(ctx, part, bytes);
  if (res.status !== 403 || (res.body as { code?: string } | undefined)?.code !== "url_expired") return res;
  const renew = await ctx.http.request("POST", `/v1/uploads/${encodeURIComponent(uploadId)}/part-urls`, { json: { numbers: [part.number] } });
  expectStatus(renew, 200, `renew the expired URL of part ${part.number}`);
  const fresh = (renew.body as { parts?: Part[] }).parts?.find((p) => p.number === part.number);
  expect(fresh?.url !== undefined, `part-urls did not return part ${part.number}`, renew.exchange);
  return putPart(ctx, { ...part, ...fresh }, bytes);
}

/**
 * Signs a fresh URL for one part (so a short URL lifetime cannot race the check).
 *
 * @example
 * const part = await freshPart(ctx, upload.id, 1);
 */
export async function freshPart(ctx: CheckContext, uploadId: string, number: number): Promise<Part> {
  const renew = await ctx.http.request("POST", `/v1/uploads/${encodeURIComponent(uploadId)}/part-urls`, { json: { numbers: [number] } });
  expectStatus(renew, 200, `part-urls for part ${number}`);
  const fresh = (renew.body as { parts?: Part[] }).parts?.find((p) => p.number === number);
  expect(fresh?.url !== undefined, `part-urls did not return part ${number}`, renew.exchange);
  return fresh;
}

/**
 * Uploads every part and returns the ETags to complete with.
 *
 * @example
 * const etags = await putAllParts(ctx, prepared);
 */
export async function putAllParts(ctx: CheckContext, prepared: PreparedUpload): Promise<{ number: number; etag: string }[]> {
  const out: { number: number; etag: string }[] = [];
  for (const part of prepared.upload.parts) {
    const res = await storePart(ctx, prepared.upload.id, part, prepared.partBytes(part.number));
    expectStatus(res, 200, `PUT part ${part.number}`);
    const etag = res.headers.get("etag");
    expect(etag !== null, `PUT part ${part.number} must answer with an ETag`, res.exchange);
    out.push({ number: part.number, etag });
  }
  return out;
}

/**
 * POSTs /v1/uploads/{id}/complete.
 *
 * @example
 * const res = await completeUpload(ctx, upload.id, etags);
 */
export function completeUpload(ctx: CheckContext, id: string, parts: { number: number; etag: string }[], sha256?: string): Promise<HttpResponse> {
  return ctx.http.request("POST", `/v1/uploads/${encodeURIComponent(id)}/complete`, { json: { parts, ...(sha256 ? { sha256 } : {}) } });
}

/**
 * Flips one character of a signed URL's signature (or of its last character) to alter it.
 *
 * @example
 * tamperUrl("http://h/p?x=1&signature=abc") // "http://h/p?x=1&signature=abd"
 */
export function tamperUrl(url: string): string {
  const u = new URL(url);
  const name = [...u.searchParams.keys()].find((k) => /sig/i.test(k));
  const flip = (s: string) => s.slice(0, -1) + (s.endsWith("A") ? "B" : "A");
  if (name) {
    u.searchParams.set(name, flip(u.searchParams.get(name) ?? "A"));
    return u.toString();
  }
  return flip(url);
}
