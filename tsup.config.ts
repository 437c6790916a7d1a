import { readdirSync, readFileSync } from "node:fs";
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

// Every source module is an entry too, so dist keeps one file per module (like Rollup's
// preserveModules). With shared chunks, unrelated modules landed in one chunk whose top-level
// code (the webhook payload schema) an app's bundler cannot drop, so `verifyWebhookSignature`
// alone was 2,075 B from dist against 1,444 B from source; one file per module lets
// `"sideEffects": false` drop whole modules again (decision 0009).
const modules: Record<string, string> = {};
for (const file of readdirSync("src", { recursive: true, encoding: "utf8" })) {
  if (!file.endsWith(".ts") || file.endsWith(".d.ts")) continue;
  modules[file.replace(/\.ts$/, "")] = `./src/${file}`;
}

export default defineConfig({
  entry: { ...modules, ...entries },
  format: ["esm"],
  // Declarations only for what package.json exports (and what those import).
  dts: { entry: entries },
  clean: true,
  sourcemap: true,
  target: "es2022",
  platform: "neutral",
  splitting: true,
  treeshake: true,
  outDir: "dist",
  tsconfig: "tsconfig.build.json",
});
