// The three packages' dist/ as `npm run prepare` builds them, built at most once per test run and
// only when a source is newer than the build. Tests that check or pack the built packages
// (publish, workspace-packages, packed-install) call this instead of running tsup (and `npm pack`'s
// prepare) themselves: in CI `npm ci` has just built dist/, which was then rebuilt up to four
// times, and with two test workers one file's clean build could delete the dist/ another was
// reading. A lock directory makes concurrent callers wait for one build.
import { execFile } from "node:child_process";
import { mkdirSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";

const root = fileURLToPath(new URL("../../", import.meta.url));
const packages = [root, join(root, "reference-server"), join(root, "conformance")];
// What a build reads besides src/ (the workspaces' declarations read the SDK's sources too).
const configFiles = ["package.json", "tsup.config.ts", "tsconfig.json", "tsconfig.build.json"];
const lockDir = join(root, "node_modules", ".built-packages.lock");

function filesUnder(dir: string): string[] {
  try {
    return readdirSync(dir, { recursive: true, withFileTypes: true })
      .filter((entry) => entry.isFile())
      .map((entry) => join(entry.parentPath, entry.name));
  } catch {
    return [];
  }
}

function mtime(file: string): number | undefined {
  try {
    return statSync(file).mtimeMs;
  } catch {
    return undefined;
  }
}

/** True when every package has a dist/ and no source or build config is newer than its oldest file. */
export function packagesBuildIsFresh(): boolean {
  const outputs = packages.map((dir) => filesUnder(join(dir, "dist")));
  if (outputs.some((files) => files.length === 0)) return false;
  const oldestOutput = Math.min(...outputs.flat().map((file) => mtime(file) ?? 0));
  const inputs = packages.flatMap((dir) => [...filesUnder(join(dir, "src")), ...configFiles.map((name) => join(dir, name))]);
  return inputs.every((file) => (mtime(file) ?? 0) <= oldestOutput);
}

function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

function lockHolder(): number {
  try {
    return Number(readFileSync(join(lockDir, "pid"), "utf8"));
  } catch {
    return 0; // just released, or its holder has not written its pid yet
  }
}

async function withLock<T>(work: () => Promise<T>, timeoutMs = 300_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      mkdirSync(lockDir);
      break;
    } catch {
      // Held: wait for it, or take it over from a process that died holding it.
      const holder = lockHolder();
      if (holder && !processAlive(holder)) rmSync(lockDir, { recursive: true, force: true });
      if (Date.now() > deadline) throw new Error(`${lockDir} held for ${timeoutMs} ms (by pid ${holder || "?"})`);
      await new Promise((resolve) => setTimeout(resolve, 200));
    }
  }
  writeFileSync(join(lockDir, "pid"), String(process.pid));
  try {
    return await work();
  } finally {
    rmSync(lockDir, { recursive: true, force: true });
  }
}

/**
 * Builds the SDK, async-jobs-server and async-jobs-conformance (`npm run prepare`) unless their
 * dist/ is newer than every source; resolves to whether it built.
 *
 * @example
 * beforeAll(() => buildPackages(), 200_000);
 */
export function buildPackages(): Promise<boolean> {
  return withLock(async () => {
    if (packagesBuildIsFresh()) return false;
    await promisify(execFile)("npm", ["run", "prepare", "--silent"], { cwd: root, timeout: 180_000 });
    return true;
  });
}
