import type { Upload } from "async-jobs/types";
import { expectInvalidRequest, expectProblem, expectStatus, isRfc3339Utc, locationPath } from "../assertions.ts";
import { type Check, type CheckContext, expect, skip } from "../check.ts";
import type { HttpResponse } from "../http-recorder.ts";
import { submitJob, waitTerminal } from "../job-helpers.ts";
import { completeUpload, createMultipartUpload, createUpload, type PreparedUpload, freshPart, putAllParts, putPart, sha256Hex, storePart, tamperUrl, testBytes } from "../upload-helpers.ts";

async function getUpload(ctx: CheckContext, id: string) {
  const res = await ctx.http.request("GET", `/v1/uploads/${encodeURIComponent(id)}`);
  expectStatus(res, 200, "GET upload");
  return { res, upload: res.body as Upload };
}

/** An upload with every part stored and completed. */
async function completedUpload(ctx: CheckContext, seed: number): Promise<PreparedUpload & { etags: { number: number; etag: string }[] }> {
  const prepared = await createMultipartUpload(ctx, 2, seed);
  const etags = await putAllParts(ctx, prepared);
  const res = await completeUpload(ctx, prepared.upload.id, etags);
  expectStatus(res, 200, "complete upload");
  return { ...prepared, etags };
}

/** A short-lived URL may expire before the suite uses it again; that answer says nothing here. */
function urlExpired(res: HttpResponse, ctx: CheckContext): boolean {
  const expired = res.status === 403 && (res.body as { code?: string } | undefined)?.code === "url_expired";
  if (expired) ctx.note("the part URL expired before the suite could reuse it; the 409 was not checked");
  return expired;
}

/**
 * spec §4 Uploads.
 *
 * @example
 * await runConformance({ baseUrl, token, checks: uploadChecks });
 */
export const uploadChecks: Check[] = [
  {
    id: "uploads.part-any-content-type",
    clause: "§4 Uploads",
    level: "MUST",
    title: "A part PUT with a valid signature is stored whatever its Content-Type (a file's own type, or none)",
    needs: [],
    async run(ctx) {
      // curl -T sends none; a browser's fetch(url, { body: file }) sends the file's own type.
      for (const [n, type] of [[1, "image/png"], [2, "text/plain;charset=UTF-8"], [3, undefined]] as const) {
        const bytes = testBytes(64, 40 + n);
        const { upload } = await createUpload(ctx, bytes);
        const part = await freshPart(ctx, upload.id, 1);
        expect(typeof part.url === "string", "part 1 has no signed url");
        const res = await ctx.http.request("PUT", part.url, { token: null, rawBody: bytes, headers: type ? { "content-type": type } : {} });
        expectStatus(res, 200, `PUT a part with ${type ? `Content-Type: ${type}` : "no Content-Type"}`);
        expect(res.headers.get("etag") !== null, "a stored part's answer carries its ETag", res.exchange);
      }
    },
  },
  {
    id: "uploads.create",
    clause: "§4 Uploads",
    level: "MUST",
    title: "POST /v1/uploads: 201, Location, a pending Upload whose parts cover the size with signed URLs",
    needs: [],
    async run(ctx) {
      const { upload, res, bytes } = await createMultipartUpload(ctx, 2, 11);
      const path = locationPath(res);
      expect(path?.endsWith(`/v1/uploads/${upload.id}`) || path?.endsWith(`/v1/uploads/${encodeURIComponent(upload.id)}`), `Location must be /v1/uploads/${upload.id}, got ${JSON.stringify(res.headers.get("location"))}`, res.exchange);
      expect(upload.status === "pending", `a new upload is pending, got ${upload.status}`, res.exchange);
      expect(upload.size === bytes.byteLength && upload.filename === "conformance.bin" && upload.content_type === "application/octet-stream", "size, filename and content_type must echo the request", res.exchange);
      expect(upload.part_count === upload.parts.length && upload.part_count === Math.ceil(upload.size / upload.part_size), `part_count ${upload.part_count} must be ceil(size / part_size) and match parts[]`, res.exchange);
      expect(isRfc3339Utc(upload.expires_at), "expires_at must be an RFC 3339 UTC time", res.exchange);
      let total = 0;
      upload.parts.forEach((p, i) => {
        expect(p.number === i + 1, `parts must be numbered from 1, got ${p.number} at ${i}`, res.exchange);
        expect(p.etag === null, "a part not yet stored has etag null", res.exchange);
        expect(i === upload.parts.length - 1 ? p.size <= upload.part_size && p.size > 0 : p.size === upload.part_size, `part ${p.number} has size ${p.size} with part_size ${upload.part_size}`, res.exchange);
        expect(typeof p.url === "string" && (p.method ?? "PUT") === "PUT", `part ${p.number} needs a signed url (first 100 parts)`, res.exchange);
        if (p.url_expires_at !== undefined) expect(isRfc3339Utc(p.url_expires_at), "url_expires_at must be an RFC 3339 UTC time", res.exchange);
        total += p.size;
      });
      expect(total === upload.size, `the parts cover ${total} bytes of ${upload.size}`, res.exchange);
    },
  },
  {
    id: "uploads.invalid-create",
    clause: "§4 Uploads, §1 Errors",
    level: "MUST",
    title: "An upload request breaking the schema is 400 invalid_request",
    needs: [],
    async run(ctx) {
      const bad = [{ content_type: "application/octet-stream", size: 1 }, { filename: "a", content_type: "application/octet-stream", size: -1 }, { filename: "a", content_type: "x", size: "ten" }, { filename: "a", content_type: "x", size: 5 * 1024 ** 4 + 1 }];
      for (const json of bad) expectInvalidRequest(await ctx.http.request("POST", "/v1/uploads", { json }), undefined, `create upload ${JSON.stringify(json)}`);
    },
  },
  {
    id: "uploads.first-100-urls",
    clause: "§4 Uploads",
    level: "MUST",
    title: "Signed URLs come with at most the first 100 parts; part-urls signs the others",
    needs: [],
    async run(ctx) {
      const probe = await createUpload(ctx, testBytes(10, 41), { part_size: 1024 });
      const partSize = probe.upload.part_size;
      if (partSize > 64 * 1024) skip(`the server's ${partSize}-byte parts make a 101-part upload too big for the suite`);
      const size = partSize * 100 + 1;
      const res = await ctx.http.request("POST", "/v1/uploads", { json: { filename: "many.bin", content_type: "application/octet-stream", size, part_size: partSize } });
      expectStatus(res, 201, "create a 101-part upload");
      const upload = res.body as Upload;
      expect(upload.part_count === 101 && upload.parts.length === 101, `a ${size}-byte upload with part_size ${partSize} has 101 parts, got ${upload.part_count}`, res.exchange);
      expect(upload.parts.slice(0, 100).every((p) => typeof p.url === "string"), "the first 100 parts must carry signed URLs", res.exchange);
      expect(upload.parts[100]!.url === undefined, "part 101 must not carry a signed URL (at most the first 100)", res.exchange);
      const more = await ctx.http.request("POST", `/v1/uploads/${encodeURIComponent(upload.id)}/part-urls`, { json: { numbers: [101] } });
      expectStatus(more, 200, "part-urls for part 101");
      expect((more.body as { parts?: { number: number; url?: string }[] }).parts?.some((p) => p.number === 101 && typeof p.url === "string"), "part-urls must sign part 101", more.exchange);
    },
  },
  {
    id: "uploads.part-put",
    clause: "§4 Uploads (parts)",
    level: "MUST",
    title: "A part PUT to its signed URL, without a bearer token, is 200 with an ETag",
    needs: [],
    async run(ctx) {
      const prepared = await createMultipartUpload(ctx, 2, 12);
      const part = prepared.upload.parts[0]!;
      const res = await storePart(ctx, prepared.upload.id, part, prepared.partBytes(1));
      expect(res.exchange.requestHeaders.authorization === undefined, "the suite sent no bearer token");
      expectStatus(res, 200, "PUT part 1 without a token");
      const etag = res.headers.get("etag");
      expect(etag !== null && etag.length > 0, "a stored part must answer with an ETag header", res.exchange);
    },
  },
  {
    id: "uploads.resume-listing",
    clause: "§4 Uploads (resume)",
    level: "MUST",
    title: "GET /v1/uploads/{id} shows each stored part's etag, exactly the ETag header (quotes included)",
    needs: [],
    async run(ctx) {
      const prepared = await createMultipartUpload(ctx, 2, 13);
      const put = await storePart(ctx, prepared.upload.id, prepared.upload.parts[0]!, prepared.partBytes(1));
      expectStatus(put, 200, "PUT part 1");
      const { res, upload } = await getUpload(ctx, prepared.upload.id);
      expect(upload.parts[0]?.etag === put.headers.get("etag"), `part 1 etag in JSON ${JSON.stringify(upload.parts[0]?.etag)} must equal the ETag header ${put.headers.get("etag")}`, put.exchange, res.exchange);
      expect(upload.parts.slice(1).every((p) => p.etag === null), "parts not yet stored must have etag null", res.exchange);
      expect(upload.status === "pending", "the upload is still pending", res.exchange);
    },
  },
  {
    id: "uploads.part-replace",
    clause: "§4 Uploads (parts)",
    level: "MUST",
    title: "Re-sending a part replaces it",
    needs: [],
    async run(ctx) {
      const prepared = await createMultipartUpload(ctx, 2, 14);
      const first = prepared.partBytes(1);
      const other = testBytes(first.byteLength, 99);
      const putOld = await storePart(ctx, prepared.upload.id, prepared.upload.parts[0]!, first);
      expectStatus(putOld, 200, "PUT part 1");
      const putNew = await storePart(ctx, prepared.upload.id, prepared.upload.parts[0]!, other);
      expectStatus(putNew, 200, "PUT part 1 again with other bytes");
      const { res, upload } = await getUpload(ctx, prepared.upload.id);
      expect(upload.parts[0]?.etag === putNew.headers.get("etag"), "the listing must show the replacing part's ETag", putNew.exchange, res.exchange);
      const rest = await Promise.all(prepared.upload.parts.slice(1).map(async (p) => {
        const r = await storePart(ctx, prepared.upload.id, p, prepared.partBytes(p.number));
        expectStatus(r, 200, `PUT part ${p.number}`);
        return { number: p.number, etag: r.headers.get("etag")! };
      }));
      const whole = new Uint8Array(prepared.bytes);
      whole.set(other, 0);
      const done = await completeUpload(ctx, prepared.upload.id, [{ number: 1, etag: putNew.headers.get("etag")! }, ...rest], sha256Hex(whole));
      expectStatus(done, 200, "complete with the replaced part and its sha256");
    },
  },
  {
    id: "uploads.tampered-url",
    clause: "§4 Uploads (signed URLs)",
    level: "MUST",
    title: "An altered signed URL is 403 invalid_signature",
    needs: [],
    async run(ctx) {
      const prepared = await createMultipartUpload(ctx, 2, 15);
      const part = await freshPart(ctx, prepared.upload.id, 1);
      const res = await putPart(ctx, part, prepared.partBytes(1), tamperUrl(part.url!));
      expectProblem(res, 403, "invalid_signature", "PUT to an altered URL");
      const { upload } = await getUpload(ctx, prepared.upload.id);
      expect(upload.parts[0]?.etag === null, "a refused PUT must not store the part", res.exchange);
    },
  },
  {
    id: "uploads.expired-url",
    clause: "§4 Uploads (signed URLs)",
    level: "MUST",
    title: "An expired part URL is 403 url_expired; part-urls renews it",
    needs: ["part-url-ttl"],
    timeoutMs: 45_000,
    async run(ctx) {
      const prepared = await createMultipartUpload(ctx, 2, 16);
      const part = prepared.upload.parts[0]!;
      const expiresAt = part.url_expires_at ? Date.parse(part.url_expires_at) : Date.now() + ctx.settings.partUrlTtlS! * 1000;
      const until = Math.min(expiresAt, Date.now() + ctx.settings.partUrlTtlS! * 1000) + 1_200;
      await ctx.sleep(Math.max(0, until - Date.now()), { unscaled: true });
      const expired = await putPart(ctx, part, prepared.partBytes(1));
      expectProblem(expired, 403, "url_expired", "PUT to an expired URL");
      const renew = await ctx.http.request("POST", `/v1/uploads/${encodeURIComponent(prepared.upload.id)}/part-urls`, { json: { numbers: [1] } });
      expectStatus(renew, 200, "renew through part-urls");
      const fresh = (renew.body as { parts?: { number: number; url?: string }[] }).parts?.find((p) => p.number === 1);
      expect(typeof fresh?.url === "string", "part-urls must return part 1 with a url", renew.exchange);
      const ok = await putPart(ctx, { ...part, ...fresh }, prepared.partBytes(1), fresh.url);
      expectStatus(ok, 200, "PUT to the renewed URL");
    },
  },
  {
    id: "uploads.part-urls",
    clause: "§4 Uploads (part-urls)",
    level: "MUST",
    title: "POST part-urls { numbers } (1 to 100) is 200 { parts } with fresh URLs; outside 1..100 numbers is 400",
    needs: [],
    async run(ctx) {
      const prepared = await createMultipartUpload(ctx, 2, 17);
      const path = `/v1/uploads/${encodeURIComponent(prepared.upload.id)}/part-urls`;
      const res = await ctx.http.request("POST", path, { json: { numbers: [2, 1] } });
      expectStatus(res, 200, "part-urls for parts 1 and 2");
      const parts = (res.body as { parts?: { number: number; url?: string; size?: number }[] }).parts;
      expect(Array.isArray(parts) && [1, 2].every((n) => parts.some((p) => p.number === n && typeof p.url === "string")), "part-urls must return the asked parts with urls", res.exchange);
      const two = parts.find((p) => p.number === 2)!;
      const put = await putPart(ctx, { ...prepared.upload.parts[1]!, ...two }, prepared.partBytes(2), two.url);
      expectStatus(put, 200, "PUT to a part-urls URL");
      expectInvalidRequest(await ctx.http.request("POST", path, { json: { numbers: [] } }), undefined, "part-urls with no numbers");
      expectInvalidRequest(await ctx.http.request("POST", path, { json: { numbers: Array.from({ length: 101 }, (_, i) => i + 1) } }), undefined, "part-urls with 101 numbers");
    },
  },
  {
    id: "uploads.size-mismatch",
    clause: "§4 Uploads (parts)",
    level: "MUST",
    title: "A part of the wrong length is 400 size_mismatch",
    needs: [],
    async run(ctx) {
      const prepared = await createMultipartUpload(ctx, 2, 18);
      const part = await freshPart(ctx, prepared.upload.id, 1);
      const bytes = prepared.partBytes(1);
      expectProblem(await putPart(ctx, part, bytes.subarray(0, bytes.byteLength - 1)), 400, "size_mismatch", "PUT one byte short");
      const longer = new Uint8Array(bytes.byteLength + 1);
      longer.set(bytes);
      expectProblem(await putPart(ctx, part, longer), 400, "size_mismatch", "PUT one byte long");
    },
  },
  {
    id: "uploads.complete-invalid-part",
    clause: "§4 Uploads (complete, checked in order)",
    level: "MUST",
    title: "Complete naming a part outside the upload is 422 invalid_part, before any other check",
    needs: [],
    async run(ctx) {
      const prepared = await createMultipartUpload(ctx, 2, 19);
      const put = await storePart(ctx, prepared.upload.id, prepared.upload.parts[0]!, prepared.partBytes(1));
      expectStatus(put, 200, "PUT part 1");
      // Part 2 is missing too: the outside number must win (it is checked first).
      const res = await completeUpload(ctx, prepared.upload.id, [{ number: 1, etag: put.headers.get("etag")! }, { number: prepared.upload.part_count + 1, etag: '"x"' }]);
      expectProblem(res, 422, "invalid_part", "complete with a part number outside the upload");
    },
  },
  {
    id: "uploads.complete-incomplete",
    clause: "§4 Uploads (complete, checked in order)",
    level: "MUST",
    title: "Complete with a part not listed or not stored is 422 upload_incomplete, checked before etags",
    needs: [],
    async run(ctx) {
      const prepared = await createMultipartUpload(ctx, 2, 20);
      const put = await storePart(ctx, prepared.upload.id, prepared.upload.parts[0]!, prepared.partBytes(1));
      expectStatus(put, 200, "PUT part 1");
      const etag = put.headers.get("etag")!;
      expectProblem(await completeUpload(ctx, prepared.upload.id, [{ number: 1, etag }]), 422, "upload_incomplete", "complete listing only part 1");
      expectProblem(await completeUpload(ctx, prepared.upload.id, prepared.upload.parts.map((p) => ({ number: p.number, etag: p.number === 1 ? etag : '"not-stored"' }))), 422, "upload_incomplete", "complete listing a part never stored");
      expectProblem(await completeUpload(ctx, prepared.upload.id, [{ number: 1, etag: '"wrong-etag"' }]), 422, "upload_incomplete", "complete with a wrong etag while a part is missing");
    },
  },
  {
    id: "uploads.complete-etag",
    clause: "§4 Uploads (complete, checked in order)",
    level: "MUST",
    title: "An etag that differs is 422 invalid_part; etags compare without quotes",
    needs: [],
    async run(ctx) {
      const prepared = await createMultipartUpload(ctx, 2, 21);
      const etags = await putAllParts(ctx, prepared);
      const wrong = etags.map((e, i) => (i === 0 ? { ...e, etag: '"00000000000000000000000000000000"' } : e));
      expectProblem(await completeUpload(ctx, prepared.upload.id, wrong), 422, "invalid_part", "complete with a wrong etag");
      const unquoted = etags.map((e) => ({ ...e, etag: e.etag.replace(/^"(.*)"$/, "$1") }));
      const res = await completeUpload(ctx, prepared.upload.id, unquoted);
      expectStatus(res, 200, "complete with the etags unquoted");
      expect((res.body as { status?: string }).status === "completed", "the upload must be completed", res.exchange);
    },
  },
  {
    id: "uploads.checksum",
    clause: "§4 Uploads (complete, checksum)",
    level: "MUST",
    title: "A declared sha256 that differs is 422 checksum_mismatch and the upload stays pending; the right one completes",
    needs: [],
    async run(ctx) {
      const prepared = await createMultipartUpload(ctx, 2, 22);
      const etags = await putAllParts(ctx, prepared);
      const mismatch = await completeUpload(ctx, prepared.upload.id, etags, "0".repeat(64));
      expectProblem(mismatch, 422, "checksum_mismatch", "complete with a wrong sha256");
      const { res, upload } = await getUpload(ctx, prepared.upload.id);
      expect(upload.status === "pending", `after checksum_mismatch the upload stays pending, got ${upload.status}`, mismatch.exchange, res.exchange);
      const sha = sha256Hex(prepared.bytes);
      const ok = await completeUpload(ctx, prepared.upload.id, etags, sha);
      expectStatus(ok, 200, "complete with the right sha256");
      const done = ok.body as Upload;
      expect(done.status === "completed" && done.sha256?.toLowerCase() === sha, `the completed upload must show status completed and sha256 ${sha}`, ok.exchange);
      // Declared at create, checked at complete.
      const declared = await createMultipartUpload(ctx, 2, 23, { sha256: () => "f".repeat(64) });
      const declaredEtags = await putAllParts(ctx, declared);
      expectProblem(await completeUpload(ctx, declared.upload.id, declaredEtags), 422, "checksum_mismatch", "complete when the sha256 declared at create differs");
    },
  },
  {
    id: "uploads.recomplete",
    clause: "§4 Uploads (complete)",
    level: "MUST",
    title: "Completing again with the same parts is 200; other parts or new PUTs are 409 upload_not_pending",
    needs: [],
    async run(ctx) {
      const done = await completedUpload(ctx, 24);
      const again = await completeUpload(ctx, done.upload.id, done.etags);
      expectStatus(again, 200, "complete again with the same parts");
      expect((again.body as { status?: string }).status === "completed", "the upload stays completed", again.exchange);
      const other = done.etags.map((e, i) => (i === 0 ? { ...e, etag: '"other"' } : e));
      expectProblem(await completeUpload(ctx, done.upload.id, other), 409, "upload_not_pending", "complete again with other parts");
      const put = await putPart(ctx, done.upload.parts[0]!, done.partBytes(1));
      if (!urlExpired(put, ctx)) expectProblem(put, 409, "upload_not_pending", "PUT a part of a completed upload");
    },
  },
  {
    id: "uploads.abort",
    clause: "§4 Uploads (abort)",
    level: "MUST",
    title: "DELETE aborts a pending upload (204); a completed one is 409 upload_not_pending",
    needs: [],
    async run(ctx) {
      const pending = await createUpload(ctx, testBytes(100, 25));
      const del = await ctx.http.request("DELETE", `/v1/uploads/${encodeURIComponent(pending.upload.id)}`);
      expectStatus(del, 204, "abort a pending upload");
      const { res, upload } = await getUpload(ctx, pending.upload.id);
      expect(upload.status === "aborted", `an aborted upload shows status aborted, got ${upload.status}`, res.exchange);
      const put = await putPart(ctx, pending.upload.parts[0]!, pending.partBytes(1));
      if (!urlExpired(put, ctx)) expectProblem(put, 409, "upload_not_pending", "PUT a part of an aborted upload");
      const done = await completedUpload(ctx, 26);
      expectProblem(await ctx.http.request("DELETE", `/v1/uploads/${encodeURIComponent(done.upload.id)}`), 409, "upload_not_pending", "abort a completed upload");
    },
  },
  {
    id: "uploads.cors-etag",
    clause: "§4 Uploads (parts)",
    level: "SHOULD",
    title: "A part PUT exposes ETag to browsers through CORS",
    needs: [],
    async run(ctx) {
      const prepared = await createUpload(ctx, testBytes(100, 27));
      const part = prepared.upload.parts[0]!;
      const res = await ctx.http.request("PUT", part.url!, { token: null, rawBody: prepared.partBytes(1), headers: { ...(part.headers ?? {}), origin: "https://app.conformance.example" } });
      expectStatus(res, 200, "PUT with an Origin");
      const exposed = (res.headers.get("access-control-expose-headers") ?? "").toLowerCase().split(/\s*,\s*/);
      expect(exposed.includes("etag") || exposed.includes("*"), `Access-Control-Expose-Headers must include ETag, got ${JSON.stringify(res.headers.get("access-control-expose-headers"))}`, res.exchange);
    },
  },
  {
    id: "uploads.job-input",
    clause: "§4 Uploads (jobs refer to uploads)",
    level: "MUST",
    title: "A job takes a completed upload of its tenant by upload_id; a pending or unknown one is 422 invalid_input",
    needs: ["checksum"],
    async run(ctx) {
      const done = await completedUpload(ctx, 28);
      const ok = await submitJob(ctx, { type: "file.checksum", input: { upload_id: done.upload.id } });
      expectStatus(ok, 202, "file.checksum of a completed upload");
      const result = await waitTerminal(ctx, (ok.body as { id: string }).id);
      expect(result.job.status === "succeeded", `file.checksum ended ${result.job.status}`, result.res.exchange);
      const r = result.job.result as { sha256?: string; size?: number };
      expect(r.sha256 === sha256Hex(done.bytes) && r.size === done.bytes.byteLength, "file.checksum must return the file's sha256 and size", result.res.exchange);
      const pending = await createUpload(ctx, testBytes(100, 29));
      expectProblem(await submitJob(ctx, { type: "file.checksum", input: { upload_id: pending.upload.id } }), 422, "invalid_input", "file.checksum of a pending upload");
      expectProblem(await submitJob(ctx, { type: "file.checksum", input: { upload_id: "upl_conformance_unknown" } }), 422, "invalid_input", "file.checksum of an unknown upload");
      if (ctx.settings.otherToken) {
        expectProblem(await submitJob(ctx, { type: "file.checksum", input: { upload_id: done.upload.id } }, { token: ctx.settings.otherToken }), 422, "invalid_input", "file.checksum of another tenant's upload");
      }
    },
  },
];
