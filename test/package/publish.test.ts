import { execFile } from "node:child_process";
import { existsSync, readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import { beforeAll, describe, expect, it } from "vitest";
import { buildPackages } from "../helpers/built-packages.ts";

// The package as npm would publish it: built by tsup, then checked by publint and
// Are The Types Wrong (attw) exactly as a consumer's resolver sees it.
const run = promisify(execFile);
// attw's `npm pack` would run `prepare` (every package's tsup) again on the dist just built.
const packWithoutPrepare = { ...process.env, npm_config_ignore_scripts: "true" };
const root = fileURLToPath(new URL("../../", import.meta.url));
const pkg = JSON.parse(readFileSync(`${root}package.json`, "utf8")) as {
  exports: Record<string, string | Record<string, string>>;
};

describe("published package", () => {
  beforeAll(() => buildPackages(), 200_000);

  it("builds every entry listed in exports, with its .d.ts", () => {
    for (const [subpath, target] of Object.entries(pkg.exports)) {
      if (typeof target === "string") continue;
      expect(existsSync(`${root}${target.default}`), `${subpath} → ${target.default}`).toBe(true);
      expect(existsSync(`${root}${target.types}`), `${subpath} → ${target.types}`).toBe(true);
    }
  });

  it("passes publint --strict", async () => {
    const { stdout } = await run("npx", ["publint", "--strict"], { cwd: root, timeout: 60_000 });
    expect(stdout).not.toMatch(/error|warning|suggestion/i);
  }, 70_000);

  it("passes Are The Types Wrong for ESM consumers (node16, bundler)", async () => {
    // esm-only: the package is ESM; CommonJS `require` of it is not offered. openapi.yaml is a
    // data file, not a module, so it has no types to check.
    const args = ["attw", "--pack", ".", "--profile", "esm-only", "--format", "ascii", "--exclude-entrypoints", "./openapi.yaml"];
    const { stdout } = await run("npx", args, {
      cwd: root,
      env: packWithoutPrepare,
      timeout: 120_000,
    });
    // attw exits non-zero on any problem (execFile then throws); each entry must also resolve
    // cleanly for ESM consumers under node16 and bundler resolution.
    const verdicts = stdout.split("\n").filter((line) => /^(node16 \(from ESM\)|bundler):/.test(line));
    expect(verdicts.length).toBeGreaterThanOrEqual(2 * (Object.keys(pkg.exports).length - 1));
    expect(verdicts.filter((line) => !line.includes("🟢"))).toEqual([]);
  }, 130_000);
});
