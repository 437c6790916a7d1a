#!/usr/bin/env node
// Installed, the package runs the built CLI from dist/. In the repository (sources present, no
// build needed) it runs the TypeScript sources, resolving `async-jobs/*` to the SDK's sources
// (the "async-jobs-source" export condition). tsx is registered when it has something to load:
// the sources, or job-types modules (`--job-types ./jobs.ts` runs an app's TypeScript without a
// build step). A built server without them skips it: its loader thread would add ~40 MB of RSS.
import { existsSync } from "node:fs";
import { register as registerHooks } from "node:module";

const sources = new URL("../src/cli.ts", import.meta.url);
const jobTypeModules = process.argv.some((arg) => arg.startsWith("--job-types")) || Boolean(process.env.ASYNC_JOBS_JOB_TYPES);
if (existsSync(sources)) {
  const addSourceCondition = `export async function resolve(specifier, context, next) {
  const conditions = context.conditions.includes("async-jobs-source") ? context.conditions : ["async-jobs-source", ...context.conditions];
  return next(specifier, { ...context, conditions });
}`;
  registerHooks(`data:text/javascript,${encodeURIComponent(addSourceCondition)}`);
  (await import("tsx/esm/api")).register();
  await import(sources.href);
} else {
  if (jobTypeModules) (await import("tsx/esm/api")).register();
  await import(new URL("../dist/cli.js", import.meta.url).href);
}
