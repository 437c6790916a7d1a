import { defaultServerConditions } from "vite";
import { defineConfig } from "vitest/config";

// Workspace packages resolve to their TypeScript sources, never to a stale dist/.
const conditions = ["async-jobs-source", ...defaultServerConditions];

export default defineConfig({
  resolve: { conditions },
  ssr: { resolve: { conditions } },
  test: {
    name: "conformance",
    include: ["test/**/*.test.ts"],
    testTimeout: 30_000,
    // One throwaway Postgres cluster per run, for the catalog run on the Postgres store.
    globalSetup: ["../reference-server/test/support/postgres-global-setup.ts"],
  },
});
