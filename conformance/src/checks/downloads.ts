import { gunzipSync } from "node:zlib";
import type { Job } from "async-jobs/types";
import { expectStatus } from "../assertions.ts";
import { type Check, type CheckContext, expect, skip } from "../check.ts";
import type { HttpResponse } from "../http-recorder.ts";
import { submitJob, waitTerminal } from "../job-helpers.ts";
import { completeUpload, createMultipartUpload, putAllParts } from "../upload-helpers.ts";

/** One file.gzip job over a completed upload, shared by the download checks. */
function gzipRun(ctx: CheckContext) {
  return ctx.fixture("downloads.gzip-run", async (f) => {
    const prepared = await createMultipartUpload(f, 2, 31);
    const etags = await putAllParts(f, prepared);
    expectStatus(await completeUpload(f, prepared.upload.id, etags), 200, "complete upload");
    const res = await submitJob(f, { type: "file.gzip", input: { upload_id: prepared.upload.id } });
    expectStatus(res, 202, "submit file.gzip");
    const done = await waitTerminal(f, (res.body as Job).id, 15_000);
    expect(done.job.status === "succeeded", `file.gzip ended ${done.job.status}`, done.res.exchange);
    const result = done.job.result as { size?: number; gzip_size?: number; download?: { url?: string; expires_at?: string } };
    expect(typeof result?.download?.url === "string", "file.gzip must return download.url", done.res.exchange);
    return { bytes: prepared.bytes, result, url: result.download.url, done };
  });
}

/**
 * GETs the download URL; if it expired (short test lifetimes), reads the job again for a fresh
 * URL, and skips if that one is expired too: the suite cannot beat the server's clock.
 */
async function download(ctx: CheckContext, run: Awaited<ReturnType<typeof gzipRun>>, headers: Record<string, string> = {}): Promise<HttpResponse> {
  const get = (url: string) => ctx.http.request("GET", new URL(url, ctx.settings.baseUrl).toString(), { token: null, headers });
  const expired = (res: HttpResponse) => res.status === 403 && (res.body as { code?: string } | undefined)?.code === "url_expired";
  const res = await get(run.url);
  if (!expired(res)) return res;
  const again = await ctx.http.request("GET", `/v1/jobs/${encodeURIComponent(run.done.job.id)}`);
  const url = (again.body as { result?: { download?: { url?: string } } } | undefined)?.result?.download?.url;
  const retry = url ? await get(url) : res;
  if (expired(retry)) skip("the download URL expired before the suite could use it (URL lifetime too short)");
  return retry;
}

/**
 * spec §2 file.gzip and its presigned download.
 *
 * @example
 * await runConformance({ baseUrl, token, checks: downloadChecks });
 */
export const downloadChecks: Check[] = [
  {
    id: "downloads.full",
    clause: "§2 Job types (file.gzip download)",
    level: "MUST",
    title: "file.gzip's presigned download URL serves the gzip of the upload, without a bearer token",
    needs: ["gzip"],
    timeoutMs: 25_000,
    async run(ctx) {
      const run = await gzipRun(ctx);
      const { bytes, result } = run;
      const res = await download(ctx, run);
      expectStatus(res, 200, "GET the download URL");
      expect(res.bytes.byteLength === result.gzip_size, `gzip_size ${result.gzip_size} must be the downloaded length ${res.bytes.byteLength}`, res.exchange);
      let plain: Uint8Array | undefined;
      try {
        plain = gunzipSync(res.bytes);
      } catch {
        plain = undefined;
      }
      expect(plain !== undefined && Buffer.compare(Buffer.from(plain), Buffer.from(bytes)) === 0, "the download must gunzip to the uploaded bytes", res.exchange);
      expect(result.size === bytes.byteLength, `size must be the input size ${bytes.byteLength}, got ${result.size}`, res.exchange);
    },
  },
  {
    id: "downloads.range",
    clause: "§2 Job types (file.gzip download supports Range)",
    level: "MUST",
    title: "A Range request on the download is 206 with Content-Range and exactly those bytes",
    needs: ["gzip"],
    timeoutMs: 25_000,
    async run(ctx) {
      const run = await gzipRun(ctx);
      const full = await download(ctx, run);
      expectStatus(full, 200, "GET the download URL");
      const total = full.bytes.byteLength;
      const res = await download(ctx, run, { range: "bytes=2-11" });
      expectStatus(res, 206, "GET with Range: bytes=2-11");
      expect((res.headers.get("content-range") ?? "").replace(/\s+/g, " ") === `bytes 2-11/${total}`, `Content-Range must be "bytes 2-11/${total}", got ${JSON.stringify(res.headers.get("content-range"))}`, res.exchange);
      expect(Buffer.compare(Buffer.from(res.bytes), Buffer.from(full.bytes.subarray(2, 12))) === 0, "the 206 body must be bytes 2-11 of the file", res.exchange);
    },
  },
  {
    id: "downloads.range-unsatisfiable",
    clause: "§2 Job types (file.gzip download supports Range)",
    level: "SHOULD",
    title: "A range beyond the file is 416 with Content-Range: bytes */size",
    needs: ["gzip"],
    timeoutMs: 25_000,
    async run(ctx) {
      const run = await gzipRun(ctx);
      const res = await download(ctx, run, { range: `bytes=${(run.result.gzip_size ?? 0) + 100}-` });
      expectStatus(res, 416, "GET with a range beyond the file");
      expect(/^bytes \*\/\d+$/.test(res.headers.get("content-range") ?? ""), `Content-Range must be "bytes */size", got ${JSON.stringify(res.headers.get("content-range"))}`, res.exchange);
    },
  },
];
