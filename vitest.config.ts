import { defineConfig } from "vitest/config";

// Tests resolve workspace packages to their TypeScript sources, never to a stale dist/.
export const sourceConditions = ["async-jobs-source", "node", "import", "module", "default"];

export default defineConfig({
  resolve: { conditions: sourceConditions },
  ssr: { resolve: { conditions: sourceConditions, externalConditions: sourceConditions } },
  test: {
    projects: [
      {
        extends: true,
        test: { name: "sdk", include: ["test/**/*.test.ts"], testTimeout: 20_000 },
      },
      "reference-server",
      "conformance",
    ],
  },
});
