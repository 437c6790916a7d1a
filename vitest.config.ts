import { defaultServerConditions } from "vite";
import { defineConfig } from "vitest/config";

// Tests resolve workspace packages to their TypeScript sources, never to a stale dist/.
export const sourceConditions = ["async-jobs-source", ...defaultServerConditions];

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
