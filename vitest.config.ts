import { defaultServerConditions } from "vite";
import { defineConfig } from "vitest/config";

// Tests resolve workspace packages to their TypeScript sources, never to a stale dist/.
// Not "module": the AWS SDK's dist-es behind it is for bundlers (extensionless imports Node cannot load).
export const sourceConditions = ["async-jobs-source", ...defaultServerConditions.filter((c) => c !== "module")];

export default defineConfig({
  resolve: { conditions: sourceConditions },
  ssr: { resolve: { conditions: sourceConditions } },
  test: {
    projects: [
      {
        extends: true,
        test: { name: "sdk", include: ["test/**/*.test.ts"], testTimeout: 20_000 },
      },
      "reference-server",
      "conformance",
      "vitest.browser.config.ts",
    ],
  },
});
