import { execFile } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync } from "node:fs";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type FakeServer, startFakeServer } from "./support/fake-server.ts";

// docs/ci/run-conformance.sh, the generic CI recipe, run as a CI would (with this checkout as
// the suite, so nothing is cloned or installed).
const repo = fileURLToPath(new URL("../../", import.meta.url));
const script = join(repo, "docs/ci/run-conformance.sh");

let fake: FakeServer;
let nothing: Server;
beforeAll(async () => {
  fake = await startFakeServer({ handle: (req, res) => res.writeHead(404).end() });
  nothing = createServer((req, res) => res.writeHead(404).end());
  await new Promise<void>((r) => nothing.listen(0, "127.0.0.1", r));
});
afterAll(async () => {
  await fake?.close();
  nothing?.close();
});

function runRecipe(env: Record<string, string>, cwd: string) {
  return new Promise<{ code: number; stdout: string; stderr: string }>((resolve) => {
    execFile("bash", [script], { cwd, env: { PATH: process.env.PATH ?? "", HOME: process.env.HOME ?? "", CONFORMANCE_DIR: repo, ...env } }, (error, stdout, stderr) =>
      resolve({ code: error ? Number(error.code) : 0, stdout, stderr }),
    );
  });
}

describe("docs/ci/run-conformance.sh", () => {
  it("runs the suite with --strict and writes JUnit, HTML and JSON reports; exit 2 for a base URL that 404s everywhere; a missing variable is named", async () => {
    const cwd = mkdtempSync(join(tmpdir(), "conformance-ci-"));
    const [pass, wrongBase, missing] = await Promise.all([
      runRecipe({ ASYNC_JOBS_BASE_URL: fake.url, ASYNC_JOBS_TOKEN: "good", CONFORMANCE_ARGS: "--only health.ok" }, cwd),
      runRecipe({ ASYNC_JOBS_BASE_URL: `http://127.0.0.1:${(nothing.address() as AddressInfo).port}`, ASYNC_JOBS_TOKEN: "t", CONFORMANCE_OUT: join(cwd, "other") }, cwd),
      runRecipe({ ASYNC_JOBS_TOKEN: "t" }, cwd),
    ]);
    expect(pass.code, pass.stderr).toBe(0);
    expect(pass.stdout).toContain("PASS");
    for (const file of ["conformance.xml", "conformance.html", "conformance.json"]) expect(existsSync(join(cwd, "conformance-report", file))).toBe(true);
    expect(JSON.parse(readFileSync(join(cwd, "conformance-report/conformance.json"), "utf8")).summary.must).toEqual({ ran: 1, passed: 1, skipped: 0 });
    expect(wrongBase.code).toBe(2);
    expect(wrongBase.stderr).toContain("every route answers 404");
    expect(missing.code).not.toBe(0);
    expect(missing.stderr).toContain("ASYNC_JOBS_BASE_URL");
  }, 60_000);
});
