#!/usr/bin/env node
// Installed, the package runs the built CLI from dist/. In the repository (sources present, no
// build needed) tsx runs the TypeScript sources, with `async-jobs/*` resolved to the SDK's sources.
import { existsSync } from "node:fs";
import { register } from "node:module";

const sources = new URL("../src/cli-entry.ts", import.meta.url);
if (existsSync(sources)) {
  const { register: registerTsx } = await import("tsx/esm/api");
  register(
    "data:text/javascript,export function resolve(s,c,n){return n(s,{...c,conditions:[...c.conditions,'async-jobs-source']})}",
  );
  registerTsx();
  await import(sources.href);
} else {
  await import(new URL("../dist/cli-entry.js", import.meta.url).href);
}
