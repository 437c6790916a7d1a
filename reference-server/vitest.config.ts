import { defaultServerConditions } from "vite";
import { defineConfig } from "vitest/config";

// Workspace packages resolve to their TypeScript sources, never to a stale dist/.
// Not "module": the AWS SDK's dist-es behind it is for bundlers (extensionless imports Node cannot load).
const conditions = ["async-jobs-source", ...defaultServerConditions.filter((c) => c !== "module")];

export default defineConfig({
  resolve: { conditions },
  ssr: { resolve: { conditions } },
  test: {
    name: "reference-server",
    include: ["test/**/*.test.ts"],
    testTimeout: 30_000,
    // One throwaway Postgres cluster per run (initdb + pg_ctl); nothing started by hand.
    globalSetup: ["test/support/postgres-global-setup.ts"],
  },
});
