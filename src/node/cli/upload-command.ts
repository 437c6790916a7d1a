import { stat } from "node:fs/promises";
import { basename } from "node:path";
import { uploadFile } from "../uploads.ts";
import { numberOption, positional, stringOption, type CliContext } from "./cli-context.ts";
import { exitCodes, UsageError, type ExitCode } from "./exit-codes.ts";
import { createTransferBar } from "./progress-bars.ts";

/**
 * `async-jobs upload FILE [--concurrency N] [--part-size BYTES] [--content-type T] [--checksum]`:
 * a parallel, resumable upload with a bar; prints the upload (its id goes into a job's input).
 *
 * @example
 * await uploadCommand(ctx)
 */
export async function uploadCommand(ctx: CliContext): Promise<ExitCode> {
  const path = positional(ctx, "FILE");
  const info = await stat(path).catch((e: Error) => {
    throw new UsageError(`cannot read ${path}: ${e.message}`);
  });
  if (!info.isFile()) throw new UsageError(`${path} is not a file`);
  const bar = createTransferBar(basename(path), info.size, { stream: ctx.io.stderr, enabled: !ctx.json });
  try {
    const upload = await uploadFile(ctx.client(), path, {
      concurrency: numberOption(ctx, "concurrency"),
      partSize: numberOption(ctx, "part-size"),
      contentType: stringOption(ctx, "content-type"),
      checksum: ctx.values.checksum === true,
      resume: stringOption(ctx, "resume"),
      onProgress: (p) => bar.update(p.loadedBytes),
    });
    bar.stop();
    ctx.print(upload, `${upload.id}  ${upload.status}  ${upload.size} bytes in ${upload.part_count} part(s)${upload.sha256 ? `  sha256 ${upload.sha256}` : ""}`);
    return exitCodes.succeeded;
  } finally {
    bar.stop();
  }
}
