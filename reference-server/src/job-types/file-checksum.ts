import { createHash } from "node:crypto";
import type { ChecksumResult, ProblemFieldError } from "async-jobs/types";
import * as z from "zod";
import type { UploadService } from "../uploads/upload-service.ts";
import { defineJobType } from "./define-job-type.ts";
import { JobFailure } from "./job-type-definition.ts";

/** Reports progress; awaited, so a slow store slows the stream instead of piling up writes. */
export type ReportBytes = (percent: number, message: string) => Promise<void>;

/**
 * Hashes a stream with SHA-256, reporting progress whenever the whole percent of `total`
 * grows (at most 101 reports, whatever the size). Memory stays flat.
 *
 * @example
 * const { sha256, size } = await checksumWithProgress(createReadStream(path), total, { signal, report });
 */
export async function checksumWithProgress(
  source: AsyncIterable<Uint8Array>,
  total: number,
  options: { signal?: AbortSignal; report?: ReportBytes } = {},
): Promise<ChecksumResult> {
  const hash = createHash("sha256");
  const progress = createByteProgress(total, options.report);
  let size = 0;
  options.signal?.throwIfAborted();
  for await (const chunk of source) {
    options.signal?.throwIfAborted(); // leaving the loop destroys the source stream
    hash.update(chunk);
    size += chunk.byteLength;
    await progress(size);
  }
  return { sha256: hash.digest("hex"), size };
}

/**
 * A byte counter that calls `report` only when `floor(100·bytes/total)` grows.
 *
 * @example
 * const progress = createByteProgress(200, report); await progress(100); // report(50, "100 of 200 bytes")
 */
export function createByteProgress(total: number, report: ReportBytes | undefined): (bytes: number) => Promise<void> {
  let last = -1;
  return async (bytes) => {
    const percent = total > 0 ? Math.min(100, Math.floor((100 * bytes) / total)) : 100;
    if (percent <= last || !report) return;
    last = percent;
    await report(percent, `${bytes} of ${total} bytes`);
  };
}

/**
 * Semantic input check shared by the file job types: `upload_id` must be a completed upload of
 * the same tenant (spec §4), else `422 invalid_input` at `/input/upload_id`.
 *
 * @example
 * await checkUploadInput(uploads, "acme", "upl_…") // [] when usable
 */
export async function checkUploadInput(uploads: UploadService, tenant: string, uploadId: string): Promise<ProblemFieldError[]> {
  const upload = await uploads.openCompleted(tenant, uploadId);
  return upload ? [] : [{ path: "/input/upload_id", message: `${uploadId} is not a completed upload of this tenant` }];
}

/**
 * The file job types' failure when their upload vanished between submit and run.
 *
 * @example
 * if (!upload) throw uploadGone(input.upload_id);
 */
export const uploadGone = (uploadId: string) =>
  new JobFailure({ code: "invalid_input", status: 422, title: "Invalid input", detail: `Upload ${uploadId} is not available.` });

/**
 * `file.checksum` (spec §2): SHA-256 and size of a completed upload, streamed, with progress by bytes.
 *
 * @example
 * createJobTypeRegistry([conformanceEcho, createFileChecksumJobType(uploads)]);
 */
export function createFileChecksumJobType(uploads: UploadService) {
  return defineJobType({
    type: "file.checksum",
    description: "SHA-256 and size of a completed upload, streamed with progress by bytes.",
    input: z.strictObject({
      upload_id: z.string().min(1),
      algorithm: z.enum(["sha256"]).default("sha256"),
    }),
    result: z.object({
      sha256: z.string().regex(/^[0-9a-f]{64}$/),
      size: z.number().int().min(0),
    }),
    validate: (input, ctx) => checkUploadInput(uploads, ctx.tenant, input.upload_id),
    async run(ctx) {
      const upload = await uploads.openCompleted(ctx.tenant, ctx.input.upload_id);
      if (!upload) throw uploadGone(ctx.input.upload_id);
      return checksumWithProgress(upload.read(), upload.record.size, {
        signal: ctx.signal,
        report: (percent, message) => ctx.reportProgress(percent, message),
      });
    },
  });
}
