import { createWriteStream } from "node:fs";
import { Readable, Transform } from "node:stream";
import { pipeline } from "node:stream/promises";
import type { Job } from "../../types.ts";
import { formatBytes } from "./byte-units.ts";
import { positional, stringOption, type CliContext } from "./cli-context.ts";
import { exitCodes, UsageError, type ExitCode } from "./exit-codes.ts";
import { createTransferBar } from "./progress-bars.ts";

/** The presigned URL of a job's result file (`result.download.url`), or a usage error saying why not. */
function downloadUrl(job: Job): string {
  const url = (job.result as { download?: { url?: unknown } } | null | undefined)?.download?.url;
  if (job.status !== "succeeded") throw new UsageError(`${job.id} is ${job.status}: only a succeeded job has a result to download`);
  if (typeof url !== "string") throw new UsageError(`${job.id} (${job.type}) has no result.download URL`);
  return url;
}

/**
 * `async-jobs download JOB_ID [-o FILE]`: fetches the job's result file through its presigned
 * URL (no token needed) with a transfer bar. `-o -` writes to stdout.
 *
 * @example
 * await downloadCommand(ctx)
 */
export async function downloadCommand(ctx: CliContext): Promise<ExitCode> {
  const id = positional(ctx, "JOB_ID");
  const job = (await ctx.client().jobs.get(id)) as Job;
  const url = downloadUrl(job);
  const extension = /\.(\w{1,8})$/.exec(new URL(url).pathname)?.[1] ?? (job.type === "file.gzip" ? "gz" : "bin");
  const output = stringOption(ctx, "output") ?? `${job.id}.${extension}`;
  const response = await fetch(url);
  if (!response.ok || !response.body) {
    ctx.note(`error: GET ${new URL(url).origin}${new URL(url).pathname} answered ${response.status} (an expired URL? run the command again for a fresh one)`);
    return exitCodes.failed;
  }
  const total = Number(response.headers.get("content-length") ?? 0);
  const bar = ctx.track(createTransferBar(output === "-" ? id : output, total, { stream: ctx.io.stderr, enabled: !ctx.json && total > 0 }));
  let loaded = 0;
  const count = new Transform({
    transform(chunk: Buffer, _encoding, done) {
      loaded += chunk.length;
      bar.update(loaded);
      done(null, chunk);
    },
  });
  await pipeline(Readable.fromWeb(response.body as import("node:stream/web").ReadableStream), count, output === "-" ? ctx.io.stdout : createWriteStream(output));
  ctx.stopBars();
  if (output !== "-") ctx.print({ id, file: output, size: loaded }, `${output}  ${formatBytes(loaded)}`);
  return exitCodes.succeeded;
}
