import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import type {} from "../../reference-server/test/support/postgres-global-setup.ts";
import { catalog } from "../src/checks/index.ts";
import { type ConformanceReport, runConformance } from "../src/run-conformance.ts";
import { type ReferenceServer, startReferenceServer } from "./support/reference-server.ts";

function failures(report: ConformanceReport) {
  return report.results
    .filter((r) => r.outcome !== "passed")
    .map((r) => `${r.id}: ${r.outcome}: ${r.message} ${r.evidence.map((e) => `[${e.method} ${e.url} → ${e.status ?? e.error}: ${(e.responseBody ?? "").slice(0, 200)}]`).join(" ")}`);
}

/** What a server refusing private webhook URLs is checked for (`--private-webhooks refused`). */
const productionChecks = catalog.filter((c) => c.needs.includes("private-webhooks-refused"));
/** Checks that need the server's limits told (`--rate-limit`): run against a rate-limited server below. */
const LIMIT_CHECKS = catalog.filter((c) => c.needs.includes("rate-limit")).map((c) => c.id);
const openServerChecks = catalog.filter((c) => !productionChecks.includes(c) && !LIMIT_CHECKS.includes(c.id));

describe("the production-config checks against a reference server refusing private webhook URLs", () => {
  let server: ReferenceServer;
  beforeAll(async () => {
    server = await startReferenceServer({ allowPrivateWebhooks: false });
  }, 40_000);
  afterAll(async () => {
    await server?.stop();
  });

  it("passes them all, none skipped", async () => {
    expect(productionChecks.length).toBeGreaterThan(0);
    const report = await runConformance({ ...server.options, privateWebhooks: "refused", checks: productionChecks });
    expect(failures(report)).toEqual([]);
    expect(report.summary.passed).toBe(productionChecks.length);
  }, 60_000);
});

/**
 * Real bugs of the reference server that the suite finds, per store. A listed check may fail
 * here (and is reported); every other check must pass. Empty: the suite's finds are fixed
 * (GET /v1/jobs/%00 once answered 500 on Postgres, which refuses U+0000 in TEXT).
 */
const KNOWN_SERVER_BUGS: Record<"sqlite" | "postgres", Record<string, string>> = { sqlite: {}, postgres: {} };

for (const store of ["sqlite", "postgres"] as const) {
  describe(`the whole catalog against the reference server (${store})`, () => {
    let server: ReferenceServer;
    beforeAll(async () => {
      server = await startReferenceServer(store === "postgres" ? { store: inject("postgresUrl") } : {});
    }, 40_000);
    afterAll(async () => {
      await server?.stop();
    });

    it("passes every check, none skipped", async () => {
      // Checks of a production config and of rate limits run against servers that have them (above, below).
      const report = await runConformance({ ...server.options, checks: openServerChecks });
      const known = KNOWN_SERVER_BUGS[store];
      expect(failures(report).filter((f) => !(f.split(":")[0]! in known))).toEqual([]);
      const stillFailing = report.results.filter((r) => r.outcome === "failed").map((r) => r.id);
      if (stillFailing.length > 0) console.log(`[conformance] ${store}: known server bugs still present: ${stillFailing.map((id) => `${id} (${known[id]})`).join("; ")}`);
      expect(report.summary.skipped).toBe(0);
      expect(report.summary.passed + stillFailing.length).toBe(openServerChecks.length);
      expect(report.ok).toBe(stillFailing.length === 0);
      // The figure for the 60 s budget (issue 7) is printed, not asserted (no timing assertions).
      console.log(`[conformance] ${store}: ${catalog.length} checks in ${(report.durationMs / 1000).toFixed(1)} s`);
    }, 90_000);
  });
}

describe("the rate-limit checks against a rate-limited reference server", () => {
  let server: ReferenceServer;
  beforeAll(async () => {
    server = await startReferenceServer({ args: ["--submit-rate", "5/2s"] });
  }, 40_000);
  afterAll(async () => {
    await server?.stop();
  });

  it("passes them, none skipped", async () => {
    const report = await runConformance({ ...server.options, rateLimit: { limit: 5, windowS: 2 }, only: LIMIT_CHECKS });
    expect(LIMIT_CHECKS.length).toBeGreaterThan(0);
    expect(failures(report)).toEqual([]);
    expect(report.summary.passed).toBe(LIMIT_CHECKS.length);
  }, 60_000);
});
