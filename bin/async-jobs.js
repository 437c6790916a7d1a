#!/usr/bin/env node
// The `async-jobs` CLI. A clone of the repository (src/ present, tsx a dev dependency) runs the
// TypeScript sources, so an edit never meets a stale dist/ (`npm install` builds one); an
// installed package (no src/ in its files) runs the built CLI from dist/.
import { existsSync } from "node:fs";

const source = new URL("../src/node/cli/main.ts", import.meta.url);
if (existsSync(source)) {
  const { register } = await import("tsx/esm/api");
  register();
  await import(source.href);
} else {
  await import(new URL("../dist/node/cli/main.js", import.meta.url).href);
}
