import { execFile } from "node:child_process";
import { existsSync, readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import { beforeAll, describe, expect, it } from "vitest";
import { buildPackages } from "../helpers/built-packages.ts";

// async-jobs-server and async-jobs-conformance as npm would publish them: not private, built by
// tsup, `files` and `exports` pointing at dist/, publint and attw clean for ESM consumers.
const run = promisify(execFile);
const root = fileURLToPath(new URL("../../", import.meta.url));

for (const workspace of ["reference-server", "conformance"] as const) {
  const dir = `${root}${workspace}/`;
  const pkg = JSON.parse(readFileSync(`${dir}package.json`, "utf8")) as {
    name: string;
    private?: boolean;
    files: string[];
    bin: Record<string, string>;
    exports: Record<string, string | Record<string, string>>;
    dependencies: Record<string, string>;
    peerDependencies?: Record<string, string>;
  };

  describe(`published package ${pkg.name}`, () => {
    beforeAll(() => buildPackages(), 200_000);

    it("is publishable: not private, dist and bin in files, the SDK a peer (no file: dependency)", () => {
      expect(pkg.private).toBeUndefined();
      expect(pkg.files).toEqual(["bin", "dist"]);
      expect(Object.values(pkg.dependencies).filter((v) => v.startsWith("file:"))).toEqual([]);
      expect(pkg.peerDependencies?.["async-jobs"]).toMatch(/^\^\d/);
      for (const bin of Object.values(pkg.bin)) expect(existsSync(`${dir}${bin}`)).toBe(true);
    });

    it("builds every entry of exports, with its .d.ts", () => {
      for (const [subpath, target] of Object.entries(pkg.exports)) {
        if (typeof target === "string") continue;
        expect(existsSync(`${dir}${target.default}`), `${subpath} → ${target.default}`).toBe(true);
        expect(existsSync(`${dir}${target.types}`), `${subpath} → ${target.types}`).toBe(true);
      }
    });

    if (workspace === "reference-server") {
      it("opens the Postgres store from dist (its lazily loaded chunk is built)", async () => {
        // Nothing listens on port 1: the built store must get as far as connecting.
        const failed = await run("node", [`${dir}dist/cli.js`, "migrate", "--store", "postgres://bench@127.0.0.1:1/none"], { timeout: 30_000 }).catch(
          (error: { stderr: string }) => error,
        );
        expect("stderr" in failed ? failed.stderr : "").toContain("cannot reach Postgres");
      }, 40_000);
    }

    it("passes publint --strict", async () => {
      const { stdout } = await run("npx", ["publint", "--strict"], { cwd: dir, timeout: 60_000 });
      expect(stdout).toContain("All good");
    }, 70_000);

    it("passes Are The Types Wrong for ESM consumers (node16, bundler)", async () => {
      const { stdout } = await run("npx", ["attw", "--pack", ".", "--profile", "esm-only", "--format", "ascii"], { cwd: dir, timeout: 120_000 });
      const verdicts = stdout.split("\n").filter((line) => /^(node16 \(from ESM\)|bundler):/.test(line));
      expect(verdicts.length).toBe(2 * Object.keys(pkg.exports).length);
      expect(verdicts.filter((line) => !line.includes("🟢"))).toEqual([]);
    }, 130_000);
  });
}
