import { readFileSync } from "node:fs";

/**
 * The version of the `async-jobs` package this CLI belongs to: the nearest package.json named
 * `async-jobs` above this module (src/node/cli in a clone, a dist/ chunk when installed).
 *
 * @example
 * cliVersion() // "0.1.0"
 */
export function cliVersion(): string {
  for (let dir = new URL("./", import.meta.url); ; dir = new URL("../", dir)) {
    try {
      const pkg = JSON.parse(readFileSync(new URL("package.json", dir), "utf8")) as { name?: string; version?: string };
      if (pkg.name === "async-jobs" && pkg.version) return pkg.version;
    } catch {
      // no package.json here: go up
    }
    if (dir.pathname === "/") return "unknown";
  }
}
