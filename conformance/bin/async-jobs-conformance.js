#!/usr/bin/env node
// Runs the TypeScript sources directly: tsx registers its ESM loader, then the CLI loads.
import { existsSync } from "node:fs";
import { register } from "node:module";
import { register as registerTsx } from "tsx/esm/api";

// Inside the repository, `async-jobs/*` resolves to the SDK's TypeScript sources (no build needed).
if (existsSync(new URL("../../src/types.ts", import.meta.url))) {
  register(
    "data:text/javascript,export function resolve(s,c,n){return n(s,{...c,conditions:[...c.conditions,'async-jobs-source']})}",
  );
}
registerTsx();
await import("../src/cli-entry.ts");
