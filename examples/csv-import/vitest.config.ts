import { defaultServerConditions } from "vite";
import { defineConfig } from "vitest/config";

// The workspace packages resolve to their TypeScript sources (no build needed). Not "module":
// packages behind it (@opentelemetry/api's build/esm) are for bundlers, with extensionless
// imports Node cannot load.
const conditions = ["async-jobs-source", ...defaultServerConditions.filter((c) => c !== "module")];

export default defineConfig({
  resolve: { conditions },
  ssr: { resolve: { conditions } },
  test: { include: ["test/**/*.test.ts"], testTimeout: 60_000 },
});
