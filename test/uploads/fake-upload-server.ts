import { createHash } from "node:crypto";
import { http, HttpResponse, type HttpHandler } from "msw";
import type { Part, Upload } from "async-jobs/types";
import { problem } from "../helpers/job-fixture.ts";

/** What a part PUT handler may answer instead of storing: a Response, or `undefined` to store. */
export type PartFault = (ctx: { number: number; attempt: number; request: Request }) => Response | undefined | Promise<Response | undefined>;

/**
 * An in-memory upload server for msw unit tests (spec §4), with knobs the reference server
 * does not have: fault hooks per part PUT, a log of every request, and a URL lifetime.
 *
 * @example
 * const fake = createFakeUploadServer({ base }); server.use(...fake.handlers)
 */
export function createFakeUploadServer(init: { base: string; minPartSize?: number; urlsPerAnswer?: number }) {
  const { base, minPartSize = 1, urlsPerAnswer = 100 } = init;
  const uploads = new Map<string, { upload: Upload; bytes: (Uint8Array | undefined)[] }>();
  const log: { method: string; path: string; body?: unknown; bytes?: number }[] = [];
  const attempts = new Map<string, number>();
  let fault: PartFault | undefined;
  let generation = 0;
  let seq = 0;

  const problemResponse = (status: number, code: string) =>
    HttpResponse.json(problem(status, code), { status, headers: { "content-type": "application/problem+json" } });
  const sign = (id: string, part: Part): Part => ({
    ...part,
    url: `${base}/parts/${id}/${part.number}?g=${generation}`,
    method: "PUT",
    headers: { "content-type": "application/octet-stream" },
    url_expires_at: new Date(Date.now() + 3_600_000).toISOString(),
  });
  const view = (id: string, signFirst: number): Upload => {
    const { upload } = uploads.get(id)!;
    return { ...upload, parts: upload.parts.map((p, i) => (i < signFirst && upload.status === "pending" ? sign(id, p) : { ...p })) };
  };

  const handlers: HttpHandler[] = [
    http.post(`${base}/v1/uploads`, async ({ request }) => {
      const body = (await request.json()) as { filename: string; content_type: string; size: number; part_size?: number; sha256?: string };
      log.push({ method: "POST", path: "/v1/uploads", body });
      const partSize = Math.max(body.part_size ?? 8 * 2 ** 20, minPartSize, Math.ceil(body.size / 10_000));
      const count = Math.max(1, Math.ceil(body.size / partSize));
      const id = `upl_${++seq}`;
      const parts: Part[] = Array.from({ length: count }, (_, i) => ({
        number: i + 1,
        size: i === count - 1 ? body.size - partSize * (count - 1) : partSize,
        etag: null,
      }));
      const upload: Upload = {
        id, status: "pending", filename: body.filename, content_type: body.content_type, size: body.size,
        sha256: body.sha256 ?? null, part_size: partSize, part_count: count,
        expires_at: new Date(Date.now() + 86_400_000).toISOString(), parts,
      };
      uploads.set(id, { upload, bytes: [] });
      return HttpResponse.json(view(id, urlsPerAnswer), { status: 201, headers: { location: `/v1/uploads/${id}` } });
    }),
    http.get(`${base}/v1/uploads/:id`, ({ params }) => {
      const id = String(params.id);
      log.push({ method: "GET", path: `/v1/uploads/${id}` });
      if (!uploads.has(id)) return problemResponse(404, "not_found");
      return HttpResponse.json(view(id, urlsPerAnswer));
    }),
    http.post(`${base}/v1/uploads/:id/part-urls`, async ({ params, request }) => {
      const id = String(params.id);
      const body = (await request.json()) as { numbers: number[] };
      log.push({ method: "POST", path: `/v1/uploads/${id}/part-urls`, body });
      const record = uploads.get(id);
      if (!record) return problemResponse(404, "not_found");
      if (body.numbers.length < 1 || body.numbers.length > 100) return problemResponse(400, "invalid_request");
      const parts = body.numbers.map((n) => record.upload.parts[n - 1]);
      if (parts.some((p) => !p)) return problemResponse(422, "invalid_part");
      return HttpResponse.json({ parts: parts.map((p) => sign(id, p!)) });
    }),
    http.put(`${base}/parts/:id/:number`, async ({ params, request }) => {
      const id = String(params.id);
      const number = Number(params.number);
      const key = `${id}/${number}`;
      const attempt = (attempts.get(key) ?? 0) + 1;
      attempts.set(key, attempt);
      const injected = await fault?.({ number, attempt, request });
      if (injected) {
        log.push({ method: "PUT", path: `/parts/${key}`, bytes: -1 });
        return injected;
      }
      const bytes = new Uint8Array(await request.arrayBuffer());
      log.push({ method: "PUT", path: `/parts/${key}`, bytes: bytes.byteLength });
      const record = uploads.get(id)!;
      if (new URL(request.url).searchParams.get("g") !== String(generation)) return problemResponse(403, "url_expired");
      if (record.upload.status !== "pending") return problemResponse(409, "upload_not_pending");
      const part = record.upload.parts[number - 1]!;
      if (bytes.byteLength !== part.size) return problemResponse(400, "size_mismatch");
      record.bytes[number - 1] = bytes;
      part.etag = `"${createHash("md5").update(bytes).digest("hex")}"`;
      return new HttpResponse(null, { status: 200, headers: { etag: part.etag } });
    }),
    http.post(`${base}/v1/uploads/:id/complete`, async ({ params, request }) => {
      const id = String(params.id);
      const body = (await request.json()) as { parts: { number: number; etag: string }[]; sha256?: string };
      log.push({ method: "POST", path: `/v1/uploads/${id}/complete`, body });
      const record = uploads.get(id)!;
      const { upload } = record;
      if (body.parts.some((p) => p.number < 1 || p.number > upload.part_count)) return problemResponse(422, "invalid_part");
      if (upload.parts.some((p) => !p.etag || !body.parts.find((b) => b.number === p.number))) return problemResponse(422, "upload_incomplete");
      if (body.parts.some((b) => upload.parts[b.number - 1]!.etag !== b.etag)) return problemResponse(422, "invalid_part");
      const declared = body.sha256 ?? upload.sha256;
      const actual = createHash("sha256").update(fileBytes(id)).digest("hex");
      if (declared && declared.toLowerCase() !== actual) return problemResponse(422, "checksum_mismatch");
      upload.status = "completed";
      upload.sha256 = declared ?? null;
      return HttpResponse.json(view(id, 0));
    }),
  ];

  function fileBytes(id: string): Uint8Array {
    const record = uploads.get(id)!;
    return Buffer.concat(record.upload.parts.map((_, i) => record.bytes[i] ?? new Uint8Array(0)));
  }

  return {
    handlers,
    log,
    uploads,
    fileBytes,
    /** Sets (or clears) the fault hook for part PUTs. */
    setFault(next: PartFault | undefined) {
      fault = next;
    },
    /** Every URL signed so far is now expired (`403 url_expired`). */
    expireUrls() {
      generation += 1;
    },
    /** Part PUTs in the log, with their byte counts. */
    puts: () => log.filter((e) => e.method === "PUT"),
  };
}
