import { stat } from "node:fs/promises";
import { basename } from "node:path";
import { request } from "../../internal/request.ts";
import type { PendingUpload, Upload } from "../../types.ts";
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
 * `async-jobs uploads list [--limit N]`: the caller's pending uploads, newest first (spec §8.4),
 * each with what `upload FILE --resume UPLOAD_ID` needs to tell it is the file's.
 */
async function listPendingUploads(ctx: CliContext): Promise<ExitCode> {
  if (ctx.args.length > 1) throw new UsageError(`unexpected arguments: ${ctx.args.slice(1).join(" ")}`);
  const limit = numberOption(ctx, "limit") ?? 20;
  const pending: PendingUpload[] = [];
  for await (const upload of ctx.client().uploads.list({ status: "pending", limit: Math.min(limit, 100) })) {
    pending.push(upload);
    if (pending.length >= limit) break;
  }
  const line = (u: PendingUpload) => `${u.id}  ${u.filename}  ${formatBytes(u.size)} in ${u.part_count} part(s)  created ${u.created_at}  expires ${u.expires_at}`;
  ctx.print(pending, pending.length === 0 ? "no pending uploads" : pending.map(line).join("\n"));
  return exitCodes.succeeded;
}

/**
 * `async-jobs uploads list [--limit N]`, `async-jobs uploads get|abort UPLOAD_ID`.
 *
 * @example
 * await uploadsCommand(ctx)
 */
export async function uploadsCommand(ctx: CliContext): Promise<ExitCode> {
  const [action, ...rest] = ctx.args;
  if (action === "list") return listPendingUploads(ctx);
  if (action !== "get" && action !== "abort") throw new UsageError(action ? `unknown action "${action}": list, get or abort` : "missing action: list, get or abort");
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
