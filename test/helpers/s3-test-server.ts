import { spawn, type ChildProcess } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { CreateBucketCommand, S3Client } from "@aws-sdk/client-s3";
import { freePort } from "./free-port.ts";

/**
 * CORS a browser upload needs on the bucket: PUT from any origin, and the ETag header exposed
 * (the SDK reads it; docs/object-storage.md shows the same rule for real buckets).
 */
export const BUCKET_CORS = `<CORSConfiguration>
  <CORSRule>
    <AllowedOrigin>*</AllowedOrigin>
    <AllowedMethod>PUT</AllowedMethod>
    <AllowedMethod>GET</AllowedMethod>
    <AllowedHeader>*</AllowedHeader>
    <ExposeHeader>ETag</ExposeHeader>
    <MaxAgeSeconds>3600</MaxAgeSeconds>
  </CORSRule>
</CORSConfiguration>`;

/**
 * The loopback S3 API servers the tests use. `s3rver` (npm) is the default; `moto` (Python's
 * `moto_server`) shows what s3rver cannot: `ListParts` (resume), ETag checks at complete
 * (docs/object-storage.md).
 */
export type S3Emulator = "s3rver" | "moto";

export interface S3TestServerOptions {
  /** @default "s3rver" */
  emulator?: S3Emulator;
  /** The one bucket created on start. @default "async-jobs" for s3rver, "async-jobs-moto" for moto */
  bucket?: string;
  /** moto only: the minimum size of all but the last part. @default 5 MiB, S3's own */
  minPartSize?: number;
}

/** A running loopback S3 server with one bucket. */
export interface S3TestServer {
  /** `http://127.0.0.1:PORT` */
  endpoint: string;
  bucket: string;
  /** The `--blobs` value for this server, under `prefix`. */
  blobsUrl(prefix?: string): string;
  close(): Promise<void>;
}

/**
 * Starts s3rver or moto_server as a child process on loopback with one bucket. Neither checks
 * a presigned URL's signature; the credentials go in the AWS environment variables so the store
 * under test uses the standard credential chain exactly as in production.
 *
 * @example
 * const s3 = await startS3TestServer({ emulator: "moto" }); startTestServer(["--blobs", s3.blobsUrl("t1")]);
 */
export async function startS3TestServer(options: S3TestServerOptions = {}): Promise<S3TestServer> {
  const started = options.emulator === "moto" ? await startMoto(options.bucket ?? "async-jobs-moto", options.minPartSize) : await startS3rver(options.bucket ?? "async-jobs");
  const { endpoint, bucket } = started;
  return {
    endpoint,
    bucket,
    blobsUrl: (prefix = "") => `s3://${bucket}/${prefix}?endpoint=${encodeURIComponent(endpoint)}&region=us-east-1&forcePathStyle=true`,
    close: started.close,
  };
}

type Started = Omit<S3TestServer, "blobsUrl">;

/** What the child wrote to stderr, for the error when it exits early. */
function collectStderr(child: ChildProcess): () => string {
  let stderr = "";
  child.stderr!.on("data", (chunk: Buffer) => (stderr += chunk.toString()));
  return () => stderr;
}

// s3rver checks signatures against its fixed S3RVER/S3RVER pair.
async function startS3rver(bucket: string): Promise<Started> {
  process.env.AWS_ACCESS_KEY_ID = "S3RVER";
  process.env.AWS_SECRET_ACCESS_KEY = "S3RVER";
  const directory = mkdtempSync(join(tmpdir(), "s3rver-"));
  const script = fileURLToPath(new URL("./s3rver-child.mjs", import.meta.url));
  const child = spawn(process.execPath, [script, directory, bucket, BUCKET_CORS], { stdio: ["ignore", "pipe", "pipe"] });
  const stderr = collectStderr(child);
  const port = await new Promise<number>((resolve, reject) => {
    let out = "";
    child.stdout.on("data", (chunk: Buffer) => {
      out += chunk.toString();
      const line = /\{"port":(\d+)\}/.exec(out);
      if (line) resolve(Number(line[1]));
    });
    child.once("exit", (code) => reject(new Error(`s3rver exited with ${code}: ${stderr()}`)));
  });
  return {
    endpoint: `http://127.0.0.1:${port}`,
    bucket,
    async close() {
      const exited = new Promise((resolve) => child.once("exit", resolve));
      child.kill();
      await exited;
      rmSync(directory, { recursive: true, force: true });
    },
  };
}

// moto checks no signatures: any credential pair will do. It runs in its own process group.
async function startMoto(bucket: string, minPartSize = 5 * 1024 * 1024): Promise<Started> {
  process.env.AWS_ACCESS_KEY_ID ??= "moto";
  process.env.AWS_SECRET_ACCESS_KEY ??= "moto";
  const port = await freePort();
  const child = spawn("moto_server", ["-H", "127.0.0.1", "-p", String(port)], {
    stdio: ["ignore", "ignore", "pipe"],
    detached: true,
    // S3's 5 MiB minimum for all but the last part, lowered for suites that use small parts.
    env: { ...process.env, S3_UPLOAD_PART_MIN_SIZE: String(minPartSize) },
  });
  const stderr = collectStderr(child);
  const exited = new Promise<never>((_, reject) => {
    child.once("exit", (code) => reject(new Error(`moto_server exited with ${code}: ${stderr()}`)));
    // Not on PATH: moto (pip) comes with this project's machine image; install it with `pip install moto[server]`.
    child.once("error", (error) => reject(new Error(`moto_server could not start: ${error.message}`)));
  });
  exited.catch(() => {});
  const endpoint = `http://127.0.0.1:${port}`;
  for (let i = 0; ; i++) {
    const up = await Promise.race([fetch(endpoint).then(() => true, () => false), exited]);
    if (up) break;
    if (i > 100) throw new Error(`moto_server did not answer on ${endpoint}: ${stderr()}`);
    await new Promise((r) => setTimeout(r, 100));
  }
  const s3 = new S3Client({ endpoint, region: "us-east-1", forcePathStyle: true });
  await s3.send(new CreateBucketCommand({ Bucket: bucket }));
  s3.destroy();
  return {
    endpoint,
    bucket,
    async close() {
      const gone = new Promise((resolve) => child.once("exit", resolve));
      process.kill(-child.pid!, "SIGTERM");
      await gone;
    },
  };
}
