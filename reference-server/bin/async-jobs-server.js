#!/usr/bin/env node
// Installed, the package runs the built CLI from dist/. In the repository (sources present, no
// build needed) it runs the TypeScript sources, resolving `async-jobs/*` to the SDK's sources
// (the "async-jobs-source" export condition). Either way tsx is registered, so
// `--job-types ./jobs.ts` loads an app's TypeScript module without a build step.
import { existsSync } from "node:fs";
import { register as registerHooks } from "node:module";
import { register } from "tsx/esm/api";

const sources = new URL("../src/cli.ts", import.meta.url);
if (existsSync(sources)) {
  const addSourceCondition = `export async function resolve(specifier, context, next) {
  const conditions = context.conditions.includes("async-jobs-source") ? context.conditions : ["async-jobs-source", ...context.conditions];
  return next(specifier, { ...context, conditions });
}`;
  registerHooks(`data:text/javascript,${encodeURIComponent(addSourceCondition)}`);
  register();
  await import(sources.href);
} else {
  register();
  await import(new URL("../dist/cli.js", import.meta.url).href);
}
