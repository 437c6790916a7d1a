import { spawn } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";

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

/** A running loopback S3 server (s3rver, files in a temp dir) with one bucket. */
export interface S3TestServer {
  /** `http://127.0.0.1:PORT` */
  endpoint: string;
  bucket: string;
  /** The `--blobs` value for this server, under `prefix`. */
  blobsUrl(prefix?: string): string;
  close(): Promise<void>;
}

/**
 * Starts s3rver (an npm devDependency) as a child process on port 0. Its credentials are the
 * fixed `S3RVER`/`S3RVER` pair, set in the AWS environment variables so the store under test
 * uses the standard credential chain exactly as in production.
 *
 * @example
 * const s3 = await startS3TestServer(); loadConfig(["serve", "--blobs", s3.blobsUrl("t1")]);
 */
export async function startS3TestServer(bucket = "async-jobs"): Promise<S3TestServer> {
  process.env.AWS_ACCESS_KEY_ID = "S3RVER";
  process.env.AWS_SECRET_ACCESS_KEY = "S3RVER";
  const directory = mkdtempSync(join(tmpdir(), "s3rver-"));
  const script = fileURLToPath(new URL("./s3rver-child.mjs", import.meta.url));
  const child = spawn(process.execPath, [script, directory, bucket, BUCKET_CORS], { stdio: ["ignore", "pipe", "pipe"] });
  let stderr = "";
  child.stderr.on("data", (chunk: Buffer) => (stderr += chunk.toString()));
  const port = await new Promise<number>((resolve, reject) => {
    let out = "";
    child.stdout.on("data", (chunk: Buffer) => {
      out += chunk.toString();
      const line = /\{"port":(\d+)\}/.exec(out);
      if (line) resolve(Number(line[1]));
    });
    child.once("exit", (code) => reject(new Error(`s3rver exited with ${code}: ${stderr}`)));
  });
  const endpoint = `http://127.0.0.1:${port}`;
  return {
    endpoint,
    bucket,
    blobsUrl: (prefix = "") =>
      `s3://${bucket}/${prefix}?endpoint=${encodeURIComponent(endpoint)}&region=us-east-1&forcePathStyle=true`,
    async close() {
      const exited = new Promise((resolve) => child.once("exit", resolve));
      child.kill();
      await exited;
      rmSync(directory, { recursive: true, force: true });
    },
  };
}
