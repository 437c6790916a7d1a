// Where the tests find the tools they need outside npm (Chromium, PostgreSQL) and the opt-in
// runtimes of the runtime matrix (Deno, Bun, miniflare: `npm run runtimes:install`). One rule for
// all of them: locally a missing tool is skipped with a loud line saying what was not tested and
// how to get it; in CI (`CI=true`) it is a failure, so nothing is skipped silently there.
import { execFileSync } from "node:child_process";
import { existsSync, realpathSync } from "node:fs";
import { createRequire } from "node:module";
import { delimiter, dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const root = fileURLToPath(new URL("../../", import.meta.url));

/** True on CI, where a missing tool fails the run instead of skipping. */
export const inCi = process.env.CI === "true" || process.env.CI === "1";

/** The first executable called `name` on PATH, or undefined. */
export function onPath(name: string, env: NodeJS.ProcessEnv = process.env): string | undefined {
  for (const dir of (env.PATH ?? "").split(delimiter)) {
    if (dir && existsSync(join(dir, name))) return join(dir, name);
  }
  return undefined;
}

/**
 * Chromium for the browser tests: `CHROMIUM_PATH`, else Playwright's own download (`npx
 * playwright install chromium`), else the system's (`chromium`, `chromium-browser`,
 * `google-chrome` on PATH).
 *
 * @example
 * const chromium = await findChromium(); // "/usr/bin/chromium"
 */
export async function findChromium(env: NodeJS.ProcessEnv = process.env): Promise<string | undefined> {
  if (env.CHROMIUM_PATH) return existsSync(env.CHROMIUM_PATH) ? env.CHROMIUM_PATH : undefined;
  try {
    const { chromium } = await import("playwright-core");
    const own = chromium.executablePath();
    if (own && existsSync(own)) return own;
  } catch {
    // playwright-core not installed or no browser registry: try the system's
  }
  for (const name of ["chromium", "chromium-browser", "google-chrome", "google-chrome-stable"]) {
    const found = onPath(name, env);
    if (found) return found;
  }
  return undefined;
}

/**
 * The directory holding PostgreSQL's `initdb` and `pg_ctl`: `PG_BIN`, else `pg_ctl` on PATH,
 * else Debian's `/usr/lib/postgresql/15/bin`.
 *
 * @example
 * const bin = findPgBin(); // "/usr/lib/postgresql/15/bin"
 */
export function findPgBin(env: NodeJS.ProcessEnv = process.env): string | undefined {
  if (env.PG_BIN) return existsSync(join(env.PG_BIN, "pg_ctl")) ? env.PG_BIN : undefined;
  const pgCtl = onPath("pg_ctl", env);
  // A link on PATH (e.g. /usr/local/bin/pg_ctl) points at the directory that also has psql.
  if (pgCtl) return dirname(realpathSync(pgCtl));
  // Debian and Ubuntu keep the server binaries off PATH; pg_config knows where.
  try {
    const bindir = execFileSync("pg_config", ["--bindir"], { encoding: "utf8", stdio: ["ignore", "pipe", "ignore"] }).trim();
    if (existsSync(join(bindir, "pg_ctl"))) return bindir;
  } catch {
    // no pg_config
  }
  return existsSync("/usr/lib/postgresql/15/bin/pg_ctl") ? "/usr/lib/postgresql/15/bin" : undefined;
}

/** Where the opt-in runtime packages are installed (`npm run runtimes:install`). */
export const runtimesDir = join(root, "test/runtimes");

/**
 * Resolves a package of the runtime matrix (miniflare, deno, bun) from test/runtimes, then from
 * the root; undefined when it is not installed.
 *
 * @example
 * const miniflare = resolveRuntimePackage("miniflare");
 */
export function resolveRuntimePackage(name: string): string | undefined {
  for (const from of [join(runtimesDir, "package.json"), join(root, "package.json")]) {
    try {
      return createRequire(from).resolve(name);
    } catch {
      // not there
    }
  }
  return undefined;
}

/**
 * The Deno or Bun executable: from the runtime matrix packages, else on PATH.
 *
 * @example
 * const deno = findRuntimeBinary("deno");
 */
export function findRuntimeBinary(name: "deno" | "bun"): string | undefined {
  const relative = name === "deno" ? "deno/deno" : "bun/bin/bun.exe";
  for (const dir of [join(runtimesDir, "node_modules"), join(root, "node_modules")]) {
    if (existsSync(join(dir, relative))) return join(dir, relative);
  }
  return onPath(name);
}

/**
 * What to do about a missing tool: in CI, throw (the run fails); locally, print one loud line
 * and return the reason for `ctx.skip(reason)` / `describe.skipIf`.
 *
 * @example
 * if (!chromium) ctx.skip(missingTool("Chromium", "set CHROMIUM_PATH or apt-get install chromium"));
 */
export function missingTool(what: string, howToGet: string): string {
  const reason = `${what} not found: ${howToGet}`;
  if (inCi) throw new Error(`CI=true and ${reason}`);
  console.warn(`\n!!! NOT TESTED HERE: ${reason}\n`);
  return reason;
}

/** The part of miniflare's `Miniflare` the runtime tests use (typed here: miniflare is opt-in). */
export interface MiniflareLike {
  dispatchFetch(url: string, init?: { method?: string; body?: string }): Promise<{ json(): Promise<unknown> }>;
  dispose(): Promise<void>;
}

/** Options passed to `new Miniflare(…)` by the runtime tests. */
export interface MiniflareOptions {
  modules: boolean;
  script: string;
  compatibilityDate: string;
  compatibilityFlags?: string[];
}

/**
 * Loads miniflare from the runtime matrix packages; undefined when it is not installed.
 *
 * @example
 * const createMiniflare = await loadMiniflare(); const mf = createMiniflare?.({ modules: true, script, compatibilityDate: "2025-01-01" });
 */
export async function loadMiniflare(): Promise<((options: MiniflareOptions) => MiniflareLike) | undefined> {
  const entry = resolveRuntimePackage("miniflare");
  if (!entry) return undefined;
  const { Miniflare } = (await import(entry)) as { Miniflare: new (options: MiniflareOptions) => MiniflareLike };
  return (options) => new Miniflare(options);
}

/** How to install the runtime matrix, for skip messages. */
export const runtimesHint = "npm run runtimes:install (installs Deno, Bun and miniflare into test/runtimes)";
