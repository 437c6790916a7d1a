import { pipeline } from "node:stream";
import { createGzip } from "node:zlib";
import * as z from "zod";
import type { UploadService } from "../uploads/upload-service.ts";
import { checkUploadInput, createByteProgress, type ReportBytes, uploadGone } from "./file-checksum.ts";
import { defineJobType } from "./define-job-type.ts";

/**
 * Gzips a stream on the fly: the result is an async iterable of compressed chunks, fed as they
 * are consumed (backpressure end to end, flat memory). Progress is by input bytes; a read error
 * or an abort surfaces as an error of the compressed stream.
 *
 * @example
 * const { size } = await blobs.writeBlob("dl_1", gzipWithProgress(source, total, { signal, report }));
 */
export function gzipWithProgress(
  source: AsyncIterable<Uint8Array>,
  total: number,
  options: { signal?: AbortSignal; report?: ReportBytes } = {},
): AsyncIterable<Uint8Array> {
  const progress = createByteProgress(total, options.report);
  async function* counted() {
    let read = 0;
    options.signal?.throwIfAborted();
    for await (const chunk of source) {
      options.signal?.throwIfAborted();
      read += chunk.byteLength;
      await progress(read);
      yield chunk;
    }
  }
  const gzip = createGzip();
  // pipeline destroys every stage with the error, so the consumer of `gzip` sees it.
  pipeline(counted, gzip, () => {});
  return gzip;
}

/**
 * `file.gzip` (spec §2): compresses a completed upload and answers a presigned,
 * Range-capable download URL of the output.
 *
 * @example
 * createJobTypeRegistry([conformanceEcho, createFileGzipJobType(uploads)]);
 */
export function createFileGzipJobType(uploads: UploadService) {
  return defineJobType({
    type: "file.gzip",
    description: "Gzips a completed upload; the result carries a presigned, Range-capable download URL of the output.",
    input: z.strictObject({ upload_id: z.string().min(1) }),
    result: z.object({
      size: z.number().int().min(0),
      gzip_size: z.number().int().min(0),
      download: z.object({ url: z.url(), expires_at: z.iso.datetime({ offset: true }) }),
    }),
    validate: (input, ctx) => checkUploadInput(uploads, ctx.tenant, input.upload_id),
    async run(ctx) {
      const upload = await uploads.openCompleted(ctx.tenant, ctx.input.upload_id);
      if (!upload) throw uploadGone(ctx.input.upload_id);
      const compressed = gzipWithProgress(upload.read(), upload.record.size, {
        signal: ctx.signal,
        report: (percent, message) => ctx.reportProgress(percent, message),
      });
      // The download URL points at the origin the upload was created through.
      const { size: gzipSize, download } = await uploads.createDownload(upload.record.origin, compressed);
      return { size: upload.record.size, gzip_size: gzipSize, download };
    },
  });
}
