import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import S3rver from "s3rver";

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
 * Starts s3rver in-process on port 0. Its credentials are the fixed `S3RVER`/`S3RVER` pair,
 * set in the AWS environment variables so the store under test uses the standard credential
 * chain exactly as in production.
 *
 * @example
 * const s3 = await startS3TestServer(); loadConfig(["serve", "--blobs", s3.blobsUrl("t1")]);
 */
export async function startS3TestServer(bucket = "async-jobs"): Promise<S3TestServer> {
  process.env.AWS_ACCESS_KEY_ID = "S3RVER";
  process.env.AWS_SECRET_ACCESS_KEY = "S3RVER";
  const directory = mkdtempSync(join(tmpdir(), "s3rver-"));
  const server = new S3rver({
    port: 0,
    address: "127.0.0.1",
    silent: true,
    directory,
    configureBuckets: [{ name: bucket, configs: [BUCKET_CORS] }],
  });
  const address = (await server.run()) as unknown as { port: number };
  const endpoint = `http://127.0.0.1:${address.port}`;
  return {
    endpoint,
    bucket,
    blobsUrl: (prefix = "") =>
      `s3://${bucket}/${prefix}?endpoint=${encodeURIComponent(endpoint)}&region=us-east-1&forcePathStyle=true`,
    async close() {
      await server.close();
      rmSync(directory, { recursive: true, force: true });
    },
  };
}
