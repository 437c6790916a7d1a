import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type Check, expect as check, skip } from "../src/check.ts";
import { catalog } from "../src/checks/index.ts";
import { ConformanceSetupError, runConformance } from "../src/run-conformance.ts";
import { type FakeServer, startFakeServer } from "./support/fake-server.ts";
import { freePort } from "../../test/helpers/free-port.ts";

let fake: FakeServer;
beforeAll(async () => {
  fake = await startFakeServer({
    handle(req, res) {
      if (req.url === "/hang") return; // never answers
      if (req.url === "/teapot") return void res.writeHead(418, { "content-type": "text/plain" }).end("short and stout");
      res.writeHead(404).end();
    },
  });
});
afterAll(() => fake.close());

const base = () => ({ baseUrl: fake.url, token: "good" });

function make(id: string, run: Check["run"], extra: Partial<Check> = {}): Check {
  return { id, clause: "§5 Health", level: "MUST", title: id, needs: [], run, ...extra };
}

describe("runConformance (generic runner)", () => {
  it("reports passed, failed (with evidence), skipped and SHOULD failures; ok only when every MUST holds", async () => {
    const checks = [
      make("t.pass", async () => {}),
      make("t.fail", async (ctx) => {
        const res = await ctx.http.request("GET", "/teapot");
        check(res.status === 200, `expected 200, got ${res.status}`, res.exchange);
      }),
      make("t.should", async () => check(false, "nice to have"), { level: "SHOULD" }),
      make("t.skip", async () => skip("server lacks it")),
      make("t.needs-other", async () => {}, { needs: ["other-token"] }),
    ];
    const report = await runConformance({ ...base(), checks });
    const by = Object.fromEntries(report.results.map((r) => [r.id, r]));
    expect(by["t.pass"]!.outcome).toBe("passed");
    expect(by["t.fail"]!.outcome).toBe("failed");
    expect(by["t.fail"]!.clause).toBe("§5 Health");
    expect(by["t.fail"]!.evidence[0]).toMatchObject({ method: "GET", status: 418, responseBody: "short and stout" });
    expect(by["t.fail"]!.evidence[0]!.requestHeaders.authorization).toBe("Bearer ****");
    expect(by["t.should"]!.outcome).toBe("failed");
    expect(by["t.skip"]).toMatchObject({ outcome: "skipped", message: "server lacks it" });
    expect(by["t.needs-other"]).toMatchObject({ outcome: "skipped", message: expect.stringContaining("--other-token") });
    expect(report.summary).toMatchObject({ total: 5, passed: 1, failed: 2, skipped: 2, mustFailed: 1, shouldFailed: 1 });
    expect(report.ok).toBe(false);
    const onlyShould = await runConformance({ ...base(), checks: checks.filter((c) => c.id !== "t.fail") });
    expect(onlyShould.ok).toBe(true);
  });

  it("a hung server fails the check at its timeout, and the run goes on", async () => {
    const checks = [
      make("t.hung", async (ctx) => void (await ctx.http.request("GET", "/hang", { timeoutMs: 60_000 })), { timeoutMs: 300 }),
      make("t.request-timeout", async (ctx) => void (await ctx.http.request("GET", "/hang", { timeoutMs: 200 }))),
      make("t.after", async () => {}),
    ];
    const report = await runConformance({ ...base(), checks });
    const by = Object.fromEntries(report.results.map((r) => [r.id, r]));
    expect(by["t.hung"]).toMatchObject({ outcome: "failed", message: expect.stringContaining("no verdict within 300 ms") });
    expect(by["t.request-timeout"]).toMatchObject({ outcome: "failed", message: expect.stringContaining("no answer within 200 ms") });
    expect(by["t.request-timeout"]!.evidence[0]!.error).toContain("no answer");
    expect(by["t.after"]!.outcome).toBe("passed");
  });

  it("runs independent checks concurrently", async () => {
    let started = 0;
    let release!: () => void;
    const all = new Promise<void>((r) => (release = r));
    const barrier = async () => {
      if (++started === 4) release();
      await all; // only resolves if the four checks run at the same time
    };
    const checks = [1, 2, 3, 4].map((i) => make(`t.c${i}`, barrier, { timeoutMs: 5_000 }));
    const report = await runConformance({ ...base(), checks, concurrency: 4 });
    expect(report.results.map((r) => r.outcome)).toEqual(["passed", "passed", "passed", "passed"]);
  });

  it("a dead server or a refused token is a setup error (CLI exit 2), not a failure", async () => {
    const port = await freePort();
    await expect(runConformance({ baseUrl: `http://127.0.0.1:${port}`, token: "good", checks: [] })).rejects.toBeInstanceOf(ConformanceSetupError);
    await expect(runConformance({ ...base(), token: "bad", checks: [] })).rejects.toThrow(/refused --token/);
    await expect(runConformance({ ...base(), otherToken: "bad", checks: [] })).rejects.toThrow(/refused --other-token/);
  });

  it("selects with --only/--skip globs and --level", async () => {
    const checks = [make("a.one", async () => {}), make("a.two", async () => {}, { level: "SHOULD" }), make("b.one", async () => {})];
    const ids = async (o: object) => (await runConformance({ ...base(), checks, ...o })).results.map((r) => r.id);
    expect(await ids({ only: ["a.*"] })).toEqual(["a.one", "a.two"]);
    expect(await ids({ skip: ["*.one"] })).toEqual(["a.two"]);
    expect(await ids({ level: "must" })).toEqual(["a.one", "b.one"]);
    expect(await ids({ only: ["b.*,a.t?o"] })).toEqual(["a.two", "b.one"]);
  });

  it("masks the tokens and the webhook secret everywhere in the evidence", async () => {
    const checks = [
      make("t.leak", async (ctx) => {
        const res = await ctx.http.request("GET", "/teapot?token=good&secret=whsec_c2VjcmV0c2VjcmV0", { headers: { "x-request-id": "good-whsec_c2VjcmV0c2VjcmV0" } });
        check(false, "boom", res.exchange);
      }),
    ];
    const report = await runConformance({ ...base(), webhookSecret: "whsec_c2VjcmV0c2VjcmV0", checks });
    const text = JSON.stringify(report.results[0]!.evidence);
    expect(text).not.toContain("whsec_c2VjcmV0c2VjcmV0");
    expect(text).not.toMatch(/token=good/);
    expect(text).toContain("****");
  });

  it("no false alarms from missing features: against a server without conformance.echo, echo checks skip with the reason", async () => {
    const report = await runConformance({ ...base(), only: ["lifecycle.*", "submit.accepted", "idempotency.replay"] });
    expect(report.results.length).toBeGreaterThan(5);
    for (const r of report.results.filter((x) => catalog.find((c) => c.id === x.id)!.needs.includes("echo"))) {
      expect(r).toMatchObject({ outcome: "skipped", message: expect.stringContaining("conformance.echo") });
    }
  });
});
