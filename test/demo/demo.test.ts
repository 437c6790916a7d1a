import { spawn } from "node:child_process";
import { existsSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { repoRoot } from "../cli/reference-server-process.ts";

// `npm run demo` end to end with a small file (DEMO_SIZE_MB=8): it must exit 0, print the
// summary, and leave nothing behind (temp dir, server process); Ctrl-C must clean up too.
function run(command: string, args: string[], onOutput?: (text: string, kill: (signal: NodeJS.Signals) => void) => void) {
  return new Promise<{ code: number | null; signal: NodeJS.Signals | null; output: string }>((resolve, reject) => {
    const child = spawn(command, args, { cwd: repoRoot, env: { ...process.env, DEMO_SIZE_MB: "8" }, stdio: ["ignore", "pipe", "pipe"] });
    let output = "";
    const collect = (chunk: Buffer) => {
      output += chunk.toString();
      onOutput?.(output, (signal) => child.kill(signal));
    };
    child.stdout.on("data", collect);
    child.stderr.on("data", collect);
    child.on("error", reject);
    child.on("close", (code, signal) => resolve({ code, signal, output }));
  });
}

const refused = async (url: string) => fetch(`${url}/healthz`).then(() => false, () => true);

describe("npm run demo", () => {
  it("exits 0 with bars, verified webhooks and the summary, and cleans up", async () => {
    const { code, output } = await run("npm", ["run", "--silent", "demo"]);
    expect(code, output).toBe(0);
    for (const line of ["upload   |", "checksum |", "gzip     |", "== summary", "file        8.0 MB", "webhooks    2 received, 2 verified", "gunzipped and checked", "part PUTs", "demo OK"]) {
      expect(output).toContain(line);
    }
    expect(output).toContain("gunzip + sha256 equal the original");
    const dir = /temp dir (\S+)\)/.exec(output)![1]!;
    expect(existsSync(dir)).toBe(false);
    expect(await refused(/reference server {2}(\S+)/.exec(output)![1]!)).toBe(true);
  }, 120_000);

  it("Ctrl-C (SIGINT) mid-run stops the server and removes the temp dir", async () => {
    let sent = false;
    const { code, output } = await run(process.execPath, ["--import", "tsx", "scripts/demo.ts"], (text, kill) => {
      if (!sent && text.includes("webhook receiver")) {
        sent = true;
        kill("SIGINT");
      }
    });
    expect(output).toContain("SIGINT: cleaning up");
    expect(code).toBe(130);
    const dir = /temp dir (\S+)\)/.exec(output)![1]!;
    expect(existsSync(dir)).toBe(false);
    expect(await refused(/reference server {2}(\S+)/.exec(output)![1]!)).toBe(true);
  }, 120_000);
});
