#!/usr/bin/env node
// Runs the TypeScript sources directly: tsx registers its ESM loader, then the CLI loads.
import { register } from "tsx/esm/api";

register();
await import("../src/cli.ts");
