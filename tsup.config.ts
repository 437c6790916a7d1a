import { readFileSync } from "node:fs";
import { defineConfig } from "tsup";

// Entries come from package.json "exports": each subpath names its source file under the
// "async-jobs-source" condition, so adding an entry is one edit in one place.
type ExportTarget = { "async-jobs-source"?: string };
const pkg = JSON.parse(readFileSync("package.json", "utf8")) as {
  exports: Record<string, ExportTarget | string>;
};

export const entries: Record<string, string> = {};
for (const [subpath, target] of Object.entries(pkg.exports)) {
  if (typeof target === "string" || !target["async-jobs-source"]) continue;
  const source = target["async-jobs-source"];
  // "./src/webhooks/index.ts" -> "webhooks/index"
  entries[source.replace(/^\.\/src\//, "").replace(/\.ts$/, "")] = source;
}

// The `async-jobs` CLI is not an export, but an installed package runs it from dist/.
entries["node/cli/main"] = "./src/node/cli/main.ts";

export default defineConfig({
  entry: entries,
  format: ["esm"],
  dts: true,
  clean: true,
  sourcemap: true,
  target: "es2022",
  platform: "neutral",
  splitting: true,
  treeshake: true,
  outDir: "dist",
  tsconfig: "tsconfig.build.json",
});
