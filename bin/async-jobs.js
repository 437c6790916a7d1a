#!/usr/bin/env node
// The `async-jobs` CLI. It runs from the TypeScript sources through tsx, so it works from a
// fresh clone without a build (the CLI imports the SDK by relative paths for the same reason).
import { register } from "tsx/esm/api";

register();
await import("../src/node/cli/main.ts");
