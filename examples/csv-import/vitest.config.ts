import { defaultServerConditions } from "vite";
import { defineConfig } from "vitest/config";

// The workspace packages resolve to their TypeScript sources (no build needed).
const conditions = ["async-jobs-source", ...defaultServerConditions];

export default defineConfig({
  resolve: { conditions },
  ssr: { resolve: { conditions } },
  test: { include: ["test/**/*.test.ts"], testTimeout: 60_000 },
});
