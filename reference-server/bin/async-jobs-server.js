#!/usr/bin/env node
// Runs the TypeScript sources directly: resolve `async-jobs/*` to the SDK's sources (the
// "async-jobs-source" export condition, so no build is needed), register tsx, load the CLI.
import { register as registerHooks } from "node:module";
import { register } from "tsx/esm/api";

const addSourceCondition = `export async function resolve(specifier, context, next) {
  const conditions = context.conditions.includes("async-jobs-source") ? context.conditions : ["async-jobs-source", ...context.conditions];
  return next(specifier, { ...context, conditions });
}`;
registerHooks(`data:text/javascript,${encodeURIComponent(addSourceCondition)}`);
register();
await import("../src/cli.ts");
