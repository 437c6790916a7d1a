import { describe, expect, it } from "vitest";
import { decodeJobRow, type JobRow } from "../../src/store/job-row.ts";
import { toJob, cachedJobText, cachedJobTextOf } from "../../src/store/job-representation.ts";
import { estimatedEnd } from "../../src/store/poll-estimate.ts";

const queued: JobRow = {
  id: "job_01JD3Z9A7C1E2F3G4H5J6K7M8N",
  tenant: "acme",
  type: "conformance.echo",
  status: "queued",
  // Written by JSON.stringify, as the stores write it (integer-like keys first, as V8 orders them).
  input: JSON.stringify({ b: 1, 2: "two", nested: { list: [1, 2.5, 'x\u0000"q'] }, emoji: "é😀" }),
  metadata: '{"team":"search"}',
  progress_percent: null,
  progress_message: null,
  attempt: 0,
  max_attempts: 3,
  result: null,
  error: null,
  cancel_requested: 0,
  webhook_url: null,
  webhook_events: null,
  created_at: 1_764_000_000_123,
  updated_at: "1764000000456",
  started_at: null,
  completed_at: null,
  version: 1,
  run_at: 1_764_000_000_123,
  lease_token: null,
  lease_expires_at: null,
  traceparent: null,
  tracestate: null,
};

/** Rows in every shape the representation branches on, in both drivers' column types. */
const rows: [string, JobRow][] = [
  ["queued", queued],
  ["running with progress and a webhook", { ...queued, status: "running", progress_percent: 40, progress_message: 'half "way"', attempt: 1, started_at: "1764000001000", cancel_requested: true, webhook_url: "https://example.com/hook?a=\"b\"" }],
  ["running with chosen webhook events", { ...queued, status: "running", attempt: 1, started_at: 1_764_000_001_000, webhook_url: "https://example.com/hook", webhook_events: '["job.started","job.succeeded"]' }],
  ["succeeded", { ...queued, status: "succeeded", result: '{"echo":[null,true]}', completed_at: 1_764_000_002_000, started_at: 1_764_000_001_000 }],
  ["succeeded with a null result", { ...queued, status: "succeeded", result: "null", completed_at: 1_764_000_002_000 }],
  ["failed (a stale result column is not shown)", { ...queued, status: "failed", result: '"stale"', error: '{"type":"about:blank","title":"x","code":"job_failed"}', completed_at: 1_764_000_002_000 }],
  ["canceled", { ...queued, status: "canceled", error: '{"code":"canceled"}', completed_at: 1_764_000_002_000 }],
];

describe("cachedJobText: the Job representation's text, built once per job version", () => {
  it.each(rows)("%s: the same bytes as JSON.stringify(toJob(job))", (_name, row) => {
    const job = decodeJobRow({ ...row, id: `job_${_name.replace(/\W/g, "")}` });
    expect(cachedJobText(job)).toEqual({ version: job.version, status: job.status, text: JSON.stringify(toJob(job)), estimate: estimatedEnd(job) });
    expect(cachedJobText(job).text).toBe(JSON.stringify(toJob(job))); // and again, from the cache
  });

  it("a new version of a job is a new text; the same version is served from the first build", () => {
    const id = "job_01VERSIONS000000000000000";
    const v1 = decodeJobRow({ ...queued, id, version: 1 });
    const v2 = decodeJobRow({ ...queued, id, version: 2, status: "running", progress_percent: 10, started_at: 1_764_000_001_000 });
    expect(JSON.parse(cachedJobText(v1).text).status).toBe("queued");
    expect(JSON.parse(cachedJobText(v2).text)).toMatchObject({ status: "running", progress: { percent: 10, message: null } });
    // Within one version the representation cannot change (the ETag is the version): one text.
    expect(cachedJobText({ ...v2, status: "queued" })).toBe(cachedJobText(v2));
  });

  it("cachedJobTextOf finds the text of the version built last, and no other", () => {
    const id = "job_01LOOKUP00000000000000000";
    expect(cachedJobTextOf(id, 1)).toBeUndefined();
    const v1 = cachedJobText(decodeJobRow({ ...queued, id, version: 1 }));
    expect(cachedJobTextOf(id, 1)).toBe(v1);
    expect(cachedJobTextOf(id, 2)).toBeUndefined();
    const v2 = cachedJobText(decodeJobRow({ ...queued, id, version: 2, status: "running" }));
    expect(cachedJobTextOf(id, 2)).toBe(v2);
    expect(cachedJobTextOf(id, 1)).toBeUndefined();
  });
});
