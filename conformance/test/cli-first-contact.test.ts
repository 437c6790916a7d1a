import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { join } from "node:path";
import { tmpdir } from "node:os";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { main } from "../src/cli.ts";
import { runConformance } from "../src/run-conformance.ts";
import { type FakeServer, startFakeServer } from "./support/fake-server.ts";
import { freePort } from "../../test/helpers/free-port.ts";
import { startMutationProxy } from "./support/mutation-proxy.ts";
import { mutants } from "./support/mutants.ts";
import { type ReferenceServer, startReferenceServer } from "./support/reference-server.ts";

// The conformance CLI never passes by accident: a typo'd selection, a wrong base path, a
// skipped MUST under --strict, and a broken setup step each say what they are.
let fake: FakeServer;
let nothing: Server;
let nothingUrl: string;
let server: ReferenceServer;
beforeAll(async () => {
  fake = await startFakeServer({ handle: (req, res) => res.writeHead(404, { "content-type": "text/plain" }).end("nope") });
  // A web server where this protocol is not: 404 on every route (e.g. a missing /api prefix).
  nothing = createServer((req, res) => res.writeHead(404, { "content-type": "text/html" }).end("<h1>Not Found</h1>"));
  await new Promise<void>((r) => nothing.listen(0, "127.0.0.1", r));
  nothingUrl = `http://127.0.0.1:${(nothing.address() as AddressInfo).port}`;
  server = await startReferenceServer();
}, 60_000);
afterAll(async () => {
  await fake?.close();
  nothing?.close();
  await server?.stop();
});

async function run(argv: string[]) {
  let out = "";
  let err = "";
  const code = await main(argv, { stdout: (s) => (out += s), stderr: (s) => (err += s) });
  return { code, out, err };
}

describe("the conformance CLI never passes by accident", () => {
  it("--only or --skip matching no check id exits 2 before running anything", async () => {
    const [only, skip, fine] = await Promise.all([
      run(["--base-url", fake.url, "--token", "good", "--only", "auht.*"]),
      run(["--base-url", fake.url, "--token", "good", "--only", "health.ok", "--skip", "healht.openapi"]),
      run(["--base-url", fake.url, "--token", "good", "--only", "health.ok"]),
    ]);
    expect(only.code).toBe(2);
    expect(only.err).toContain("--only auht.* matches no check id (see --list)");
    expect(only.out).toBe("");
    expect(skip.code).toBe(2);
    expect(skip.err).toContain("--skip healht.openapi matches no check id");
    expect(fine.code).toBe(0);
  });

  it("--out into a missing directory is a usage error before the run (the server is not even contacted)", async () => {
    const port = await freePort();
    const missing = join(tmpdir(), `no-such-dir-${Date.now()}`, "report.html");
    const res = await run(["--base-url", `http://127.0.0.1:${port}`, "--token", "t", "--reporter", "html", "--out", missing]);
    expect(res.code).toBe(2);
    expect(res.err).toContain(`--out ${missing}: directory`);
    expect(res.err.split("\n")[0]).not.toContain("unreachable");
  });

  it("a base URL where every route is 404 is diagnosed as such (exit 2), not as 34 failures", async () => {
    const res = await run(["--base-url", nothingUrl, "--token", "t"]);
    expect(res.code).toBe(2);
    expect(res.err).toContain(`every route answers 404 at ${nothingUrl}`);
    expect(res.err).toContain("is --base-url right?");
  });

  it("--strict fails a run whose MUST checks were skipped; the report counts MUST ran/passed/skipped", async () => {
    // tenant.job-not-found is a MUST that needs conformance.echo and --other-token: skipped here.
    const args = ["--base-url", fake.url, "--token", "good", "--only", "health.ok,tenant.job-not-found", "--reporter", "json"];
    const [lenient, strict] = await Promise.all([run(args), run([...args, "--strict"])]);
    expect(lenient.code).toBe(0);
    const report = JSON.parse(lenient.out);
    expect(report).toMatchObject({ protocolVersion: "1.2", suiteVersion: expect.stringMatching(/^\d+\.\d+\.\d+/), summary: { must: { ran: 1, passed: 1, skipped: 1 } } });
    expect(strict.code).toBe(1);
    expect(strict.err).toMatch(/--strict: 1 MUST check\(s\) skipped: tenant.job-not-found \(.+\)/);
  });

  it("a failed setup step (submit answers 200) is 'setup failed' on the checks it blocks, and a plain failure on the check of that clause", async () => {
    const proxy = await startMutationProxy(server.baseUrl, mutants.find((m) => m.id === "submit-200")!.api!);
    try {
      const report = await runConformance({ ...server.options, baseUrl: proxy.url, only: ["submit.accepted", "submit.location", "status.*"] });
      const byId = new Map(report.results.map((r) => [r.id, r]));
      expect(byId.get("submit.accepted")).toMatchObject({ outcome: "failed", message: "submit: expected 202, got 200" });
      expect(byId.get("submit.accepted")!.setupFailed).toBeUndefined();
      expect(byId.get("submit.location")).toMatchObject({ outcome: "failed", setupFailed: true, message: "setup failed (submit conformance.echo): submit conformance.echo: expected 202, got 200" });
      expect(report.summary.setupFailed).toBe(report.results.filter((r) => r.message?.startsWith("setup failed")).length);
      expect(report.summary.setupFailed).toBeGreaterThanOrEqual(2);
    } finally {
      await proxy.close();
    }
  }, 60_000);
});
