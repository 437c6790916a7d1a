import type { TestProject } from "vitest/node";
import { startTokenBackend } from "./token-backend.ts";

declare module "vitest" {
  export interface ProvidedContext {
    /** The backend + recording proxy of the scoped-token browser test (its URL only: no token). */
    tokenBackend: { url: string };
  }
}

/** Starts the scoped-token backend (in Node) for the browser test. */
export default async function setup(project: TestProject) {
  const backend = await startTokenBackend();
  project.provide("tokenBackend", { url: backend.url });
  return () => backend.stop();
}
