import { execFile } from "node:child_process";
import { mkdtempSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { main, parseCliArgs } from "../src/cli.ts";
import { catalog } from "../src/checks/index.ts";
import { type FakeServer, startFakeServer } from "./support/fake-server.ts";
import { freePort } from "../../test/helpers/free-port.ts";

let fake: FakeServer;
beforeAll(async () => {
  fake = await startFakeServer({ handle: (req, res) => res.writeHead(404, { "content-type": "text/plain" }).end("nope") });
});
afterAll(() => fake.close());

async function run(argv: string[]) {
  let out = "";
  let err = "";
  const code = await main(argv, { stdout: (s) => (out += s), stderr: (s) => (err += s) });
  return { code, out, err };
}

describe("CLI", () => {
  it("parses every option; each --out belongs to the --reporter before it", () => {
    const args = parseCliArgs([
      "--base-url", "http://x", "--token", "a", "--other-token", "b", "--webhook-secret", "whsec_x", "--webhook-listen", "0.0.0.0:9000",
      "--webhook-public-url", "http://host:9000", "--only", "auth.*", "--only", "list.*", "--skip", "list.filters", "--level", "must",
      "--lease-timeout-s", "1", "--part-url-ttl-s", "2", "--webhook-retry-wait-s", "3", "--timeout-scale", "1.5", "--concurrency", "4",
      "--rate-limit", "5/2s", "--reporter", "pretty", "--reporter", "junit", "--out", "j.xml", "--reporter", "html", "--out", "r.html",
    ]);
    expect(args.options).toMatchObject({ baseUrl: "http://x", token: "a", otherToken: "b", webhookSecret: "whsec_x", webhookListen: "0.0.0.0:9000", webhookPublicUrl: "http://host:9000", only: ["auth.*", "list.*"], skip: ["list.filters"], level: "must", leaseTimeoutS: 1, partUrlTtlS: 2, webhookRetryWaitS: 3, timeoutScale: 1.5, concurrency: 4, rateLimit: { limit: 5, windowS: 2 } });
    expect(parseCliArgs(["--base-url", "http://x", "--token", "a", "--rate-limit", "10/s"]).options.rateLimit).toEqual({ limit: 10, windowS: 1 });
    expect(args.reporters).toEqual([{ name: "pretty", out: undefined }, { name: "junit", out: "j.xml" }, { name: "html", out: "r.html" }]);
  });

  it("exit 2 on usage errors", async () => {
    for (const argv of [[], ["--base-url", "http://x"], ["--base-url", "http://x", "--token", "t", "--level", "may"], ["--base-url", "http://x", "--token", "t", "--out", "f"], ["--base-url", "http://x", "--token", "t", "--reporter", "tap"], ["--base-url", "http://x", "--token", "t", "--reporter", "json", "--reporter", "junit"], ["--bogus"], ["--base-url", "http://x", "--token", "t", "--timeout-scale", "0"], ["--base-url", "http://x", "--token", "t", "--rate-limit", "5"], ["--base-url", "http://x", "--token", "t", "--rate-limit", "0/1s"]]) {
      const { code, err } = await run(argv);
      expect(code, argv.join(" ")).toBe(2);
      expect(err).toContain("Usage:");
    }
  });

  it("exit 2 when the server is unreachable", async () => {
    const port = await freePort();
    const { code, err } = await run(["--base-url", `http://127.0.0.1:${port}`, "--token", "good"]);
    expect(code).toBe(2);
    expect(err).toContain("unreachable");
  });

  it("exit 0 when every selected MUST passes, 1 when one fails; reporters write their files", async () => {
    const dir = mkdtempSync(join(tmpdir(), "conformance-cli-"));
    const pass = await run(["--base-url", fake.url, "--token", "good", "--only", "health.ok", "--only", "auth.*", "--reporter", "json", "--out", join(dir, "r.json"), "--reporter", "pretty"]);
    expect(pass.code).toBe(0);
    expect(pass.out).toContain("PASS");
    expect(JSON.parse(readFileSync(join(dir, "r.json"), "utf8")).summary.passed).toBe(3);
    // The fake has no /openapi.yaml: a MUST fails.
    const fail = await run(["--base-url", fake.url, "--token", "good", "--only", "health.*", "--reporter", "junit", "--out", join(dir, "j.xml"), "--reporter", "html", "--out", join(dir, "r.html")]);
    expect(fail.code).toBe(1);
    expect(readFileSync(join(dir, "j.xml"), "utf8")).toContain("health.openapi");
    expect(readFileSync(join(dir, "r.html"), "utf8")).toContain("FAIL: 1 MUST check failed");
  });

  it("--list prints the catalog, filtered", async () => {
    expect((await run(["--list"])).out.trim().split("\n")).toHaveLength(catalog.length);
    const must = await run(["--list", "--level", "must", "--only", "webhooks.*"]);
    expect(must.out.trim().split("\n")).toHaveLength(catalog.filter((c) => c.id.startsWith("webhooks.") && c.level === "MUST").length);
  });

  it("the bin runs the TypeScript sources through tsx (no build)", async () => {
    const bin = fileURLToPath(new URL("../bin/async-jobs-conformance.js", import.meta.url));
    // Asynchronous: the fake server answers from this process.
    const exec = (args: string[]) =>
      new Promise<{ status: number; stdout: string }>((resolve) => {
        execFile(process.execPath, [bin, ...args], { encoding: "utf8" }, (error, stdout) => resolve({ status: error ? Number(error.code) : 0, stdout }));
      });
    const list = await exec(["--list", "--only", "health.*"]);
    expect(list.status).toBe(0);
    expect(list.stdout).toContain("health.ok");
    const pass = await exec(["--base-url", fake.url, "--token", "good", "--only", "health.ok"]);
    expect(pass.stdout).toContain("PASS");
    expect(pass.status).toBe(0);
    expect((await exec(["--token", "x"])).status).toBe(2);
  });
});
