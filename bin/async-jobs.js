#!/usr/bin/env node
// The `async-jobs` CLI. In the repository (sources present, tsx installed as a dev dependency) it
// runs the TypeScript sources, so a build in progress (tests run tsup) never changes what runs;
// an installed package has no src/ and runs the built CLI from dist/.
import { existsSync } from "node:fs";

const sources = new URL("../src/node/cli/main.ts", import.meta.url);
if (existsSync(sources)) {
  const { register } = await import("tsx/esm/api");
  register();
  await import(sources.href);
} else {
  await import(new URL("../dist/node/cli/main.js", import.meta.url).href);
}
