import { describe, expect, it } from "vitest";
import { repoRoot } from "../cli/reference-server-process.ts";
import { extractTypeScriptSnippets, snippetFileName } from "./run-quickstart.ts";
import { runQuickstart } from "./quickstart-runner.ts";
import { readFileSync } from "node:fs";
import { join } from "node:path";

// The quickstart's TypeScript, run exactly as printed against the server its §2 starts. Here the
// packages resolve to their sources; fresh-clone.test.ts runs the same against a clone's dist/
// built by `npm install`.
describe("docs/quickstart.md", () => {
  it("names each snippet by what it is: scripts, the webhook receiver, the msw test", () => {
    const snippets = extractTypeScriptSnippets(readFileSync(join(repoRoot, "docs/quickstart.md"), "utf8"));
    const names = snippets.map(snippetFileName);
    expect(names.filter((n) => n.startsWith("snippet-")).length).toBeGreaterThanOrEqual(2);
    expect(names.filter((n) => n.startsWith("receiver-"))).toHaveLength(1);
    expect(names.filter((n) => n.endsWith(".test.ts"))).toHaveLength(1);
  });

  it("every ts snippet runs verbatim with npx tsx (and the msw one with npx vitest run)", () => {
    const run = runQuickstart(repoRoot, { source: true });
    if (!run.isolated) console.info("quickstart: no network namespace here (unshare -rn); used the host's ports 8080 and 3000");
    expect(run.status, `${run.stdout}\n${run.stderr}`).toBe(0);
    expect(run.stdout).toMatch(/quickstart OK: \d+ snippets/);
  }, 300_000);
});
