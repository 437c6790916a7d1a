import { defineConfig } from "tsup";

// The installed package runs from dist/: the library entry (with its .d.ts), the CLI the
// bin loads and the SQLite writer thread's entry (found beside the chunk that spawns it).
// Dependencies and the async-jobs peer stay external.
export default defineConfig({
  entry: { index: "src/index.ts", cli: "src/cli.ts", "sqlite-writer-thread": "src/store/sqlite/sqlite-writer-thread.ts" },
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
