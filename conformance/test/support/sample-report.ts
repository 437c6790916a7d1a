import type { ConformanceReport } from "../../src/run-conformance.ts";

/** A small report with every outcome and hostile text, for the reporter tests. */
export function sampleReport(): ConformanceReport {
  const exchange = {
    seq: 1,
    method: "POST",
    url: "http://127.0.0.1:8080/v1/jobs",
    requestHeaders: { authorization: "Bearer ****", "content-type": "application/json" },
    requestBody: '{"type":"conformance.echo","input":{}}',
    status: 200,
    responseHeaders: { "content-type": "application/json", "x-request-id": "req_1" },
    responseBody: `{"id":"job_1","status":"queued","note":"<script>alert(1)</script> & \u0001","long":"${"x".repeat(400)}"}`,
    error: undefined,
    startedAt: "2026-11-23T10:00:00.000Z",
    durationMs: 12,
  };
  return {
    suiteVersion: "0.1.0",
    protocolVersion: "1.0",
    baseUrl: "http://127.0.0.1:8080",
    startedAt: "2026-11-23T10:00:00.000Z",
    durationMs: 4321,
    ok: false,
    summary: { total: 4, passed: 1, failed: 2, skipped: 1, mustFailed: 1, shouldFailed: 1, setupFailed: 0, must: { ran: 2, passed: 1, skipped: 1 } },
    results: [
      { id: "submit.accepted", section: "submit", clause: "§2 Submit", level: "MUST", title: "POST /v1/jobs answers 202 Accepted with the Job", outcome: "failed", message: "submit: expected 202, got 200 <b>bold</b>", durationMs: 15, notes: [], evidence: [exchange] },
      { id: "submit.location", section: "submit", clause: "§2 Submit", level: "MUST", title: "The 202 carries Location", outcome: "passed", message: undefined, durationMs: 9, notes: ["a note"], evidence: [] },
      { id: "long-poll.wakes-promptly", section: "long-poll", clause: "§2 Status (long poll)", level: "SHOULD", title: "A held long poll answers soon", outcome: "failed", message: "answered after 9000 ms", durationMs: 9000, notes: [], evidence: [] },
      { id: "tenant.job-not-found", section: "tenant", clause: "§1 Auth", level: "MUST", title: "404 never 403", outcome: "skipped", message: "no second tenant (pass --other-token)", durationMs: 0, notes: [], evidence: [] },
    ],
  };
}
