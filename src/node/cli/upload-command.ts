import { stat } from "node:fs/promises";
import { basename } from "node:path";
import { request } from "../../internal/request.ts";
import type { Upload } from "../../types.ts";
import { uploadFile } from "../uploads.ts";
import { formatBytes } from "./byte-units.ts";
import { numberOption, positional, stringOption, type CliContext } from "./cli-context.ts";
import { exitCodes, UsageError, type ExitCode } from "./exit-codes.ts";
import { createTransferBar } from "./progress-bars.ts";

function describe(upload: Upload): string {
  return `${upload.id}  ${upload.status}  ${formatBytes(upload.size)} in ${upload.part_count} part(s)${upload.sha256 ? `  sha256 ${upload.sha256}` : ""}`;
}

/**
 * `async-jobs upload FILE [--concurrency N] [--part-size BYTES] [--content-type T] [--checksum]
 * [--resume UPLOAD_ID]`: a parallel, resumable upload with a bar; prints the upload id on stderr
 * as soon as it exists (Ctrl-C then says how to resume), and the upload at the end.
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
  const quotedPath = /^[\w./-]+$/.test(path) ? path : `'${path.replace(/'/g, "'\\''")}'`;
  let bar: ReturnType<typeof createTransferBar> | undefined;
  const upload = await uploadFile(ctx.client(), path, {
    concurrency: numberOption(ctx, "concurrency"),
    partSize: numberOption(ctx, "part-size"),
    contentType: stringOption(ctx, "content-type"),
    checksum: ctx.values.checksum === true,
    resume: stringOption(ctx, "resume"),
    onUploadCreated: (created) => {
      // The id first, before the bar: an interrupted upload is resumed by it.
      ctx.resumeHint = `async-jobs upload ${quotedPath} --resume ${created.id}`;
      if (!ctx.json) ctx.note(`upload ${created.id} (${formatBytes(created.size)}); Ctrl-C keeps it resumable`);
      bar = ctx.track(createTransferBar(basename(path), info.size, { stream: ctx.io.stderr, enabled: !ctx.json }));
    },
    onProgress: (p) => bar?.update(p.loadedBytes),
  });
  ctx.stopBars();
  ctx.print(upload, describe(upload));
  return exitCodes.succeeded;
}

/**
 * `async-jobs uploads get|abort UPLOAD_ID`. There is no `uploads list`: the protocol has no
 * listing of uploads (spec §4), so the CLI says so instead of guessing.
 *
 * @example
 * await uploadsCommand(ctx)
 */
export async function uploadsCommand(ctx: CliContext): Promise<ExitCode> {
  const [action, ...rest] = ctx.args;
  if (action === "list") {
    ctx.note("uploads list is not supported: the protocol (spec §4) has no endpoint listing uploads; keep the id `upload` prints");
    return exitCodes.usage;
  }
  if (action !== "get" && action !== "abort") throw new UsageError(action ? `unknown action "${action}": get or abort` : "missing action: get or abort");
  const id = positional({ ...ctx, args: rest }, "UPLOAD_ID");
  const client = ctx.client();
  if (action === "get") {
    const { data } = await request(client, (api, init) => api.GET("/v1/uploads/{id}", { ...init, params: { path: { id } } }));
    ctx.print(data, describe(data));
  } else {
    await request(client, (api, init) => api.DELETE("/v1/uploads/{id}", { ...init, params: { path: { id } } }));
    ctx.print({ id, aborted: true }, `${id}  aborted`);
  }
  return exitCodes.succeeded;
}
