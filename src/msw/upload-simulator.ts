import { formatContentRange, parseRange, unsatisfiableRange } from "../protocol/byte-range.ts";
import { samePartETag } from "../protocol/part-etag.ts";
import { partSizeOf, planParts, s3PartLimits } from "../protocol/part-plan.ts";
import type { CompleteUploadRequest, CreateUploadRequest, Download, Part, Upload } from "../types.ts";
import { checkBody, integerIn, stringOfLength } from "./check-body.ts";
import { ProblemError } from "./problem-response.ts";
import { sha256Hex } from "./sha256-hex.ts";
import type { VirtualScheduler } from "./virtual-scheduler.ts";

/** Upload knobs (spec §4). */
export interface UploadSettings {
  /** The origin that signed part and download URLs point at (the mock answers them too). */
  baseUrl: string;
  /** Smallest part but the last; S3 says 5 MiB, a server may allow less and say so in `part_size`. */
  minPartSize: number;
  /** Lifetime of a signed URL, virtual seconds. */
  urlTtlSeconds: number;
}

interface UploadRecord {
  tenant: string;
  upload: Upload;
  /** Virtual time of creation (the listing shows it, spec §8.4). */
  createdAt: number;
  bytes: (Uint8Array<ArrayBuffer> | undefined)[];
}

const DAY_MS = 24 * 3600 * 1000;
const hex64 = /^[0-9a-fA-F]{64}$/;
const isInt = (v: unknown, min: number) => Number.isInteger(v) && (v as number) >= min;

/**
 * The simulated upload and blob store: presigned, chunked, resumable uploads and presigned downloads.
 *
 * @example
 * const uploads = createUploadSimulator(scheduler, { baseUrl, minPartSize: 1, urlTtlSeconds: 3600 });
 */
export type UploadSimulator = ReturnType<typeof createUploadSimulator>;

/**
 * Creates the simulated upload and blob store.
 *
 * @example
 * const uploads = createUploadSimulator(scheduler, { baseUrl: "http://api.test", minPartSize: 5 * 1024 * 1024, urlTtlSeconds: 3600 });
 */
export function createUploadSimulator(scheduler: VirtualScheduler, settings: UploadSettings) {
  const uploads = new Map<string, UploadRecord>();
  const downloads = new Map<string, Uint8Array<ArrayBuffer>>();
  // A per-mock key: signatures only need to catch an altered URL, not resist attackers.
  const secret = Math.random().toString(36).slice(2);
  let seq = 0;
  const iso = (ms: number) => new Date(ms).toISOString();

  const sign = (resource: string, expires: number) => {
    let h = 0x811c9dc5;
    for (const ch of `${secret}|${resource}|${expires}`) h = Math.imul(h ^ ch.charCodeAt(0), 0x01000193) >>> 0;
    return h.toString(36);
  };
  const signed = (path: string, extra: string) => {
    const expires = Math.floor(scheduler.now() / 1000) + settings.urlTtlSeconds;
    const query = `expires=${expires}${extra}`;
    return { url: `${settings.baseUrl}${path}?${query}&signature=${sign(`${path}?${query}`, expires)}`, expires };
  };
  /** Checks a signed URL: altered → 403 invalid_signature, late → 403 url_expired. */
  const verify = (url: URL) => {
    const signature = url.searchParams.get("signature") ?? "";
    const query = url.search.slice(1).replace(/&signature=[^&]*$/, "");
    const expires = Number(url.searchParams.get("expires"));
    if (signature !== sign(`${url.pathname.slice(new URL(settings.baseUrl).pathname.replace(/\/$/, "").length)}?${query}`, expires)) {
      throw new ProblemError("invalid_signature", "The URL's signature does not match.");
    }
    if (scheduler.now() / 1000 > expires) {
      throw new ProblemError("url_expired", `This signed URL expired at ${iso(expires * 1000)}.`);
    }
  };

  const current = (rec: UploadRecord) => {
    // Pending uploads expire (spec §4); checked lazily on every access.
    if (rec.upload.status === "pending" && scheduler.now() > Date.parse(rec.upload.expires_at)) rec.upload.status = "expired";
    return rec;
  };
  const requirePending = (rec: UploadRecord) => {
    if (current(rec).upload.status !== "pending") {
      throw new ProblemError("upload_not_pending", `Upload ${rec.upload.id} is ${rec.upload.status}.`);
    }
  };
  const withUrl = (rec: UploadRecord, part: Part): Part => {
    const path = `/v1/uploads/${rec.upload.id}/parts/${part.number}`;
    const { url, expires } = signed(path, `&size=${part.size}`);
    return { ...part, url, method: "PUT", headers: { "content-type": "application/octet-stream" }, url_expires_at: iso(expires * 1000) };
  };

  const find = (tenant: string, id: string) => {
    const rec = uploads.get(id);
    if (!rec || rec.tenant !== tenant) throw new ProblemError("not_found", `No upload ${id}.`);
    return current(rec);
  };

  return {
    find,
    all: () => [...uploads.values()].map((rec) => structuredClone(current(rec).upload)),
    /** A tenant's uploads in creation order, each brought up to date (expiry). */
    ofTenant: (tenant: string) => [...uploads.values()].filter((rec) => rec.tenant === tenant).map(current),
    /** The Upload as the API shows it; signed URLs for at most the first 100 pending parts. */
    view(rec: UploadRecord): Upload {
      const pending = rec.upload.status === "pending";
      return { ...rec.upload, parts: rec.upload.parts.map((p) => (pending && p.number <= 100 ? withUrl(rec, p) : { ...p })) };
    },

    create(tenant: string, body: unknown): UploadRecord {
      const req = checkBody(
        body,
        {
          filename: stringOfLength(1, 1024),
          content_type: stringOfLength(1, 255),
          size: integerIn(0, s3PartLimits.maxSize, "0 to 5 TiB"),
          sha256: (v) => (typeof v === "string" && hex64.test(v) ? undefined : "must be 64 hex characters"),
          part_size: integerIn(1, s3PartLimits.maxPartSize, "1 to 5 GiB"),
        },
        ["filename", "content_type", "size"],
      ) as unknown as CreateUploadRequest;
      // The server's plan under the S3 rules (spec §4), the client's part_size a hint.
      const plan = planParts(req.size, { partSize: req.part_size, minPartSize: settings.minPartSize });
      const now = scheduler.now();
      const upload: Upload = {
        id: `upl_${now.toString(36).padStart(9, "0")}${(seq++).toString(36).padStart(5, "0")}`,
        status: "pending",
        filename: req.filename,
        content_type: req.content_type,
        size: req.size,
        sha256: req.sha256?.toLowerCase() ?? null,
        part_size: plan.partSize,
        part_count: plan.partCount,
        expires_at: iso(now + DAY_MS),
        parts: Array.from({ length: plan.partCount }, (_, i) => ({ number: i + 1, size: partSizeOf({ ...plan, size: req.size }, i + 1), etag: null })),
      };
      const rec: UploadRecord = { tenant, upload, createdAt: now, bytes: [] };
      uploads.set(upload.id, rec);
      return rec;
    },

    partUrls(rec: UploadRecord, body: unknown): Part[] {
      const { numbers } = checkBody(
        body,
        {
          numbers: (v) =>
            Array.isArray(v) && v.length >= 1 && v.length <= 100 && new Set(v).size === v.length && v.every((n) => isInt(n, 1))
              ? undefined
              : "must be 1 to 100 distinct part numbers",
        },
        ["numbers"],
      ) as { numbers: number[] };
      requirePending(rec);
      const outside = numbers.find((n) => n > rec.upload.part_count);
      if (outside !== undefined) {
        throw new ProblemError("invalid_part", `The upload has ${rec.upload.part_count} parts; part ${outside} does not exist.`);
      }
      return numbers.map((n) => withUrl(rec, rec.upload.parts[n - 1]!));
    },

    /** A PUT to a signed part URL (no bearer token). Returns the part's ETag. */
    async putPart(url: URL, id: string, number: number, body: Uint8Array<ArrayBuffer>): Promise<string> {
      verify(url);
      const rec = uploads.get(id);
      const part = rec?.upload.parts[number - 1];
      if (!rec || !part || String(part.size) !== url.searchParams.get("size")) throw new ProblemError("not_found", `No part ${number} of upload ${id}.`);
      requirePending(rec);
      if (body.length !== part.size) {
        throw new ProblemError("size_mismatch", `Part ${number} must be ${part.size} bytes; ${body.length} were sent.`);
      }
      // Re-sending a part replaces it (spec §4).
      const etag = `"${(await sha256Hex(body)).slice(0, 32)}"`;
      rec.bytes[number - 1] = body;
      part.etag = etag;
      return etag;
    },

    /** Complete, checked in the contract's order: invalid_part, upload_incomplete, invalid_part (etag), checksum_mismatch. */
    async complete(rec: UploadRecord, body: unknown): Promise<void> {
      const req = checkBody(
        body,
        {
          parts: (v) =>
            Array.isArray(v) &&
            v.length >= 1 &&
            v.length <= 10_000 &&
            v.every((p) => typeof p === "object" && p !== null && isInt(p.number, 1) && typeof p.etag === "string" && p.etag.length > 0)
              ? undefined
              : "must be 1 to 10000 parts of { number, etag }",
          sha256: (v) => (typeof v === "string" && hex64.test(v) ? undefined : "must be 64 hex characters"),
        },
        ["parts"],
      ) as unknown as CompleteUploadRequest;
      const { upload } = rec;
      if (upload.status === "completed") {
        // Completing again with the same parts is 200; with other parts 409 (spec §4).
        const same =
          req.parts.length === upload.part_count &&
          req.parts.every((p) => p.number <= upload.part_count && samePartETag(p.etag, upload.parts[p.number - 1]!.etag ?? ""));
        if (same) return;
      }
      requirePending(rec);
      const outside = req.parts.find((p) => p.number > upload.part_count);
      if (outside) throw new ProblemError("invalid_part", `The upload has ${upload.part_count} parts; part ${outside.number} does not exist.`);
      const listed = new Map(req.parts.map((p) => [p.number, p.etag]));
      const missing = upload.parts.find((p) => !listed.has(p.number) || p.etag === null);
      if (missing) throw new ProblemError("upload_incomplete", `Part ${missing.number} is not ${listed.has(missing.number) ? "stored" : "listed"}.`);
      const differs = upload.parts.find((p) => !samePartETag(listed.get(p.number)!, p.etag!));
      if (differs) throw new ProblemError("invalid_part", `Part ${differs.number}'s etag does not match the stored part.`);
      const actual = await sha256Hex(concat(rec.bytes as Uint8Array<ArrayBuffer>[], upload.size));
      const declared = (req.sha256 ?? upload.sha256)?.toLowerCase();
      if (declared && declared !== actual) {
        throw new ProblemError("checksum_mismatch", "The stored bytes do not hash to the declared sha256.");
      }
      upload.sha256 = actual;
      upload.status = "completed";
    },

    abort(rec: UploadRecord) {
      // DELETE is idempotent: aborting an aborted upload is done already (spec §4).
      if (rec.upload.status === "aborted") return;
      requirePending(rec);
      rec.upload.status = "aborted";
      rec.bytes = [];
    },

    /** The bytes of a completed upload of this tenant. */
    bytesOf(tenant: string, id: unknown): Uint8Array<ArrayBuffer> | undefined {
      const rec = typeof id === "string" ? uploads.get(id) : undefined;
      if (!rec || rec.tenant !== tenant || rec.upload.status !== "completed") return undefined;
      return concat(rec.bytes as Uint8Array<ArrayBuffer>[], rec.upload.size);
    },

    publish(bytes: Uint8Array<ArrayBuffer>): Download {
      const id = `dl_${(seq++).toString(36)}`;
      downloads.set(id, bytes);
      const { url, expires } = signed(`/v1/downloads/${id}`, "");
      return { url, expires_at: iso(expires * 1000) };
    },

    /** A GET of a presigned download, with single-range support (206, 416). */
    download(url: URL, id: string, range: string | null): Response {
      verify(url);
      const bytes = downloads.get(id);
      if (!bytes) throw new ProblemError("not_found", `No download ${id}.`);
      const headers = { "accept-ranges": "bytes", "content-type": "application/octet-stream" };
      const wanted = parseRange(range, bytes.length);
      if (wanted.kind === "whole") return new Response(bytes, { status: 200, headers });
      if (wanted.kind === "unsatisfiable") {
        throw new ProblemError(unsatisfiableRange.code, `The file has ${bytes.length} bytes.`, {
          status: unsatisfiableRange.status,
          title: unsatisfiableRange.title,
          headers: { "content-range": formatContentRange(undefined, bytes.length) },
        });
      }
      const { start, end } = wanted.range;
      return new Response(bytes.slice(start, end + 1), { status: 206, headers: { ...headers, "content-range": formatContentRange(wanted.range, bytes.length) } });
    },
  };
}

function concat(chunks: Uint8Array<ArrayBuffer>[], size: number): Uint8Array<ArrayBuffer> {
  const out = new Uint8Array(size);
  let offset = 0;
  for (const chunk of chunks) {
    out.set(chunk, offset);
    offset += chunk.length;
  }
  return out;
}
