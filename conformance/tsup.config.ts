import { defineConfig } from "tsup";

// The installed package runs from dist/: the library entry (with its .d.ts) and the CLI the
// bin loads. Dependencies and the async-jobs peer stay external.
export default defineConfig({
  entry: { index: "src/index.ts", "cli-entry": "src/cli-entry.ts" },
  format: ["esm"],
  dts: { entry: { index: "src/index.ts" } },
  clean: true,
  sourcemap: true,
  target: "es2022",
  platform: "node",
  splitting: true,
  outDir: "dist",
  tsconfig: "tsconfig.build.json",
});
