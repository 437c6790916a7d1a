import { statSync, truncateSync, writeFileSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { Job, Upload } from "async-jobs/types";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { runInPty } from "./pty.ts";
import { startReferenceServer, type ReferenceServerProcess } from "./reference-server-process.ts";
import { runCliProcess } from "./run-cli-process.ts";

// Ctrl-C at a real terminal (a pseudo-terminal from util-linux `script`): the CLI gives the
// terminal back (the bar hid the cursor and turned line wrap off) and says how to continue, and
// that command works.
const hideCursor = "\u001b[?25l";
const showCursor = "\u001b[?25h";
const wrapOn = "\u001b[?7h";

let server: ReferenceServerProcess;
let env: Record<string, string>;
let dir: string;
beforeAll(async () => {
  server = await startReferenceServer(["--min-part-size", String(1024 * 1024)]);
  env = { ASYNC_JOBS_BASE_URL: server.baseUrl, ASYNC_JOBS_TOKEN: server.token };
  dir = mkdtempSync(join(tmpdir(), "async-jobs-pty-"));
}, 60_000);
afterAll(async () => {
  await server?.stop();
  rmSync(dir, { recursive: true, force: true });
});

/** The terminal ends with the cursor shown and wrap on: nothing hides it after the last show. */
function expectTerminalRestored(output: string) {
  expect(output).toContain(hideCursor); // the bar was drawn, so there was something to undo
  expect(output.lastIndexOf(showCursor)).toBeGreaterThan(output.lastIndexOf(hideCursor));
  expect(output.lastIndexOf(wrapOn)).toBeGreaterThan(output.lastIndexOf("\u001b[?7l"));
}

describe("Ctrl-C in a terminal", () => {
  it("during submit --wait: the id comes before the bar; Ctrl-C restores the terminal, exits 130 and `async-jobs wait` continues", async () => {
    const run = runInPty(["submit", "--type", "conformance.echo", "--input", '{"value":"later","duration_ms":4000,"progress_steps":8}', "--wait"], env);
    const [, id] = await run.waitFor(/submitted (job_\w+)/);
    await run.waitFor(/█/); // the bar moves
    expect(run.output().indexOf("submitted job_")).toBeLessThan(run.output().indexOf(hideCursor));
    run.ctrlC();
    expect(await run.exited).toBe(130);
    expectTerminalRestored(run.output());
    const [, command] = run.output().match(/continue with:\r?\n\s+async-jobs (wait job_\w+)/) ?? [];
    expect(command).toBe(`wait ${id}`);
    const continued = await runCliProcess([...command!.split(" "), "--json"], { env });
    expect(continued.code, continued.stderr).toBe(0);
    expect(JSON.parse(continued.stdout)).toMatchObject({ id, status: "succeeded", result: { value: "later" } });
  }, 60_000);

  it("during upload: the upload id comes first; Ctrl-C leaves it resumable and `async-jobs upload … --resume` finishes it", async () => {
    const path = join(dir, "big.bin");
    writeFileSync(path, "");
    truncateSync(path, 96 * 1024 * 1024); // sparse: quick to make, slow enough to send part by part
    const run = runInPty(["upload", path, "--part-size", String(1024 * 1024), "--concurrency", "1"], env);
    const [, id] = await run.waitFor(/upload (upl_\w+)/);
    await run.waitFor(/█|░/);
    run.ctrlC();
    expect(await run.exited).toBe(130);
    expectTerminalRestored(run.output());
    const [, command] = run.output().match(/continue with:\r?\n\s+async-jobs (upload \S+ --resume upl_\w+)/) ?? [];
    expect(command).toBe(`upload ${path} --resume ${id}`);
    const pending = await runCliProcess(["uploads", "get", id!, "--json"], { env });
    expect(JSON.parse(pending.stdout).status).toBe("pending");
    const resumed = await runCliProcess([...command!.split(" "), "--json"], { env });
    expect(resumed.code, resumed.stderr).toBe(0);
    expect(JSON.parse(resumed.stdout) as Upload).toMatchObject({ id, status: "completed", size: statSync(path).size });
  }, 90_000);
});

describe("submit output for scripts", () => {
  it("piped: only the id on stdout, the hint on stderr; -q: no hint at all", async () => {
    const [piped, quiet] = await Promise.all([
      runCliProcess(["submit", "--type", "conformance.echo", "--input", "{}"], { env }),
      runCliProcess(["submit", "--type", "conformance.echo", "--input", "{}", "-q"], { env }),
    ]);
    expect(piped.code, piped.stderr).toBe(0);
    expect(piped.stdout).toMatch(/^job_\w+\n$/);
    expect(piped.stderr).toContain(`async-jobs wait ${piped.stdout.trim()}`);
    expect(quiet.stdout).toMatch(/^job_\w+\n$/);
    expect(quiet.stderr).toBe("");
    const waited = await runCliProcess(["wait", quiet.stdout.trim(), "--json"], { env });
    expect((JSON.parse(waited.stdout) as Job).status).toBe("succeeded");
  });
});
