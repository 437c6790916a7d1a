import { execFile } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import { afterAll, expect, it } from "vitest";

const run = promisify(execFile);
const root = fileURLToPath(new URL("../../", import.meta.url));
const out = mkdtempSync(join(tmpdir(), "async-jobs-docs-"));
afterAll(() => rmSync(out, { recursive: true, force: true }));

it("`npm run docs` builds a self-contained API page that works offline", async () => {
  const file = join(out, "api.html");
  await run("npx", ["redocly", "build-docs", "openapi.yaml", "--inlineBundle", "-o", file], {
    cwd: root,
    env: { ...process.env, REDOCLY_TELEMETRY: "off", REDOCLY_SUPPRESS_UPDATE_NOTICE: "true" },
    timeout: 120_000,
  });
  const html = readFileSync(file, "utf8");
  expect(html).toContain("async-jobs protocol");
  expect(html).toContain("submitJob");
  // Offline: no script or stylesheet fetched from elsewhere.
  expect(html).not.toMatch(/<script[^>]+src=["']https?:/i);
  expect(html).not.toMatch(/<link[^>]+href=["']https?:[^>]+stylesheet/i);
}, 130_000);
