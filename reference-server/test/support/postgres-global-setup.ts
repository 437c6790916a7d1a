import type { TestProject } from "vitest/node";
import { startPostgresCluster } from "./postgres-cluster.ts";

declare module "vitest" {
  export interface ProvidedContext {
    /** Admin URL of the throwaway cluster started for this test run. */
    postgresUrl: string;
  }
}

/** One cluster per test run; each test file creates its own database in it. */
export default async function setup(project: TestProject) {
  const cluster = await startPostgresCluster();
  project.provide("postgresUrl", cluster.url);
  return async () => {
    await cluster.stop();
  };
}
