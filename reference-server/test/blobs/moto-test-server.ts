import { spawn } from "node:child_process";
import { CreateBucketCommand, S3Client } from "@aws-sdk/client-s3";
import { freePort } from "../../../test/helpers/free-port.ts";

/** A running `moto_server` (Python moto, on this project's machine image) with one bucket. */
export interface MotoTestServer {
  /** The `--blobs` value for this server, under `prefix`. */
  blobsUrl(prefix?: string): string;
  close(): Promise<void>;
}

/**
 * Starts `moto_server` on a free loopback port, in its own process group. Used where s3rver
 * cannot show a behaviour and moto can: `ListParts` (resume), ETag checks at complete
 * (docs/object-storage.md). moto checks no signatures either; credentials are any pair.
 *
 * @example
 * const moto = await startMotoTestServer(); startTestServer(["--blobs", moto.blobsUrl("t")]);
 */
export async function startMotoTestServer(bucket = "async-jobs-moto", options: { minPartSize?: number } = {}): Promise<MotoTestServer> {
  process.env.AWS_ACCESS_KEY_ID ??= "moto";
  process.env.AWS_SECRET_ACCESS_KEY ??= "moto";
  const port = await freePort();
  const child = spawn("moto_server", ["-H", "127.0.0.1", "-p", String(port)], {
    stdio: ["ignore", "ignore", "pipe"],
    detached: true,
    // S3's 5 MiB minimum for all but the last part, lowered for suites that use small parts.
    env: { ...process.env, S3_UPLOAD_PART_MIN_SIZE: String(options.minPartSize ?? 5 * 1024 * 1024) },
  });
  let stderr = "";
  child.stderr.on("data", (chunk: Buffer) => (stderr += chunk.toString()));
  const exited = new Promise<never>((_, reject) => {
    child.once("exit", (code) => reject(new Error(`moto_server exited with ${code}: ${stderr}`)));
    // Not on PATH: moto (pip) comes with this project's machine image; install it with `pip install moto[server]`.
    child.once("error", (error) => reject(new Error(`moto_server could not start: ${error.message}`)));
  });
  exited.catch(() => {});
  const endpoint = `http://127.0.0.1:${port}`;
  for (let i = 0; ; i++) {
    const up = await Promise.race([fetch(endpoint).then(() => true, () => false), exited]);
    if (up) break;
    if (i > 100) throw new Error(`moto_server did not answer on ${endpoint}: ${stderr}`);
    await new Promise((r) => setTimeout(r, 100));
  }
  const s3 = new S3Client({ endpoint, region: "us-east-1", forcePathStyle: true });
  await s3.send(new CreateBucketCommand({ Bucket: bucket }));
  s3.destroy();
  return {
    blobsUrl: (prefix = "") => `s3://${bucket}/${prefix}?endpoint=${encodeURIComponent(endpoint)}&region=us-east-1&forcePathStyle=true`,
    async close() {
      const gone = new Promise((resolve) => child.once("exit", resolve));
      process.kill(-child.pid!, "SIGTERM");
      await gone;
    },
  };
}
