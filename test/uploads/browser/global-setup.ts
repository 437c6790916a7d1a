import type { TestProject } from "vitest/node";
import { startReferenceServer } from "../../helpers/reference-server.ts";

declare module "vitest" {
  export interface ProvidedContext {
    uploadServer: { url: string; token: string };
  }
}

/** Starts the reference server (in Node) for the browser tests and hands them its URL. */
export default async function setup(project: TestProject) {
  const server = await startReferenceServer();
  project.provide("uploadServer", { url: server.url, token: server.tokens.a! });
  return () => server.stop();
}
