#!/usr/bin/env node
// The `async-jobs` CLI. An installed package runs the built CLI from dist/; a clone of the
// repository (no build, tsx installed as a dev dependency) runs the TypeScript sources.
import { existsSync } from "node:fs";

const built = new URL("../dist/node/cli/main.js", import.meta.url);
if (existsSync(built)) {
  await import(built.href);
} else {
  const { register } = await import("tsx/esm/api");
  register();
  await import("../src/node/cli/main.ts");
}
