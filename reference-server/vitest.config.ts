import { defineConfig } from "vitest/config";

const conditions = ["async-jobs-source", "node", "import", "module", "default"];

export default defineConfig({
  resolve: { conditions },
  ssr: { resolve: { conditions, externalConditions: conditions } },
  test: { name: "reference-server", include: ["test/**/*.test.ts"], testTimeout: 30_000 },
});
