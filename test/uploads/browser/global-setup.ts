import type { TestProject } from "vitest/node";
import { startS3TestServer } from "../../helpers/s3-test-server.ts";
import { startReferenceServer } from "../../helpers/reference-server.ts";

declare module "vitest" {
  export interface ProvidedContext {
    uploadServer: { url: string; token: string };
    /** The same server with `--blobs s3://…`: part URLs on the loopback S3 server's origin. */
    s3UploadServer: { url: string; token: string; s3: string };
  }
}

/** Starts the reference server (in Node) for the browser tests and hands them its URL. */
export default async function setup(project: TestProject) {
  const server = await startReferenceServer();
  project.provide("uploadServer", { url: server.url, token: server.tokens.a! });
  const s3 = await startS3TestServer();
  const s3Server = await startReferenceServer({ args: ["--blobs", s3.blobsUrl("browser")] });
  project.provide("s3UploadServer", { url: s3Server.url, token: s3Server.tokens.a!, s3: s3.endpoint });
  return async () => {
    await server.stop();
    await s3Server.stop();
    await s3.close();
  };
}
