import { createJobsMock } from "async-jobs/msw";
import { setupServer } from "msw/node";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { runConformance } from "../src/run-conformance.ts";

/**
 * A second implementation of the contract, written by another engineer: the SDK's msw mock
 * (in-process, virtual time). No false alarms means every check passes or skips here, except
 * where the mock really departs from the contract or cannot behave like a real server.
 */
const EXPECTED_FAILURES: Record<string, string> = {
  "health.openapi": "mock gap: no GET /openapi.yaml",
  "long-poll.timeout-304": "virtual time: a held long poll takes no wall-clock time",
  // Issue 13's protocol rules, newer than the mock (src/msw): real departures, to fix there.
  "errors.json-depth": "mock gap: accepts JSON nested 1,000 deep",
  "status.vary-prefer": "mock gap: no Vary: Prefer on job reads",
};

describe("no false alarms against an independent implementation (async-jobs/msw)", () => {
  const mock = createJobsMock({ baseUrl: "http://mock.conformance.test", tokens: { ta: "a", tb: "b" }, minPartSize: 1024, leaseTimeoutMs: 1000, urlTtlSeconds: 2, retryDelayMs: 100 });
  const server = setupServer(...mock.handlers);
  beforeAll(() => server.listen({ onUnhandledRequest: "bypass" }));
  afterAll(() => server.close());

  it("every check passes or skips, apart from the mock's known departures", async () => {
    // The mock records webhook events instead of POSTing them, so webhook checks cannot run, nor
    // the trace-context check, which reads the trace headers of a delivered webhook.
    const report = await runConformance({ baseUrl: mock.baseUrl, token: "ta", otherToken: "tb", leaseTimeoutS: 1, partUrlTtlS: 2, skip: ["webhooks.*", "trace-context.*"], fetch: (...args) => fetch(...args) });
    const failed = report.results.filter((r) => r.outcome === "failed");
    expect(failed.filter((r) => !(r.id in EXPECTED_FAILURES)).map((r) => `${r.id}: ${r.message}`)).toEqual([]);
    expect(report.summary.passed).toBeGreaterThanOrEqual(80);
    console.log(`[conformance] msw mock: ${report.summary.passed} passed, ${report.summary.skipped} skipped, known departures: ${failed.map((r) => r.id).join(", ") || "none"}`);
  }, 60_000);
});
