import { expectJob, expectProblem, expectRetryAfter, expectStatus, isTerminal, jsonEqual } from "../assertions.ts";
import { type Check, expect } from "../check.ts";
import { getJob, observeJob, submitEcho, waitTerminal } from "../job-helpers.ts";

function expectStrongEtag(etag: string | null, evidence: Parameters<typeof expect>[2], what: string): asserts etag is string {
  expect(etag !== null, `${what}: ETag is missing`, evidence);
  expect(!/^W\//i.test(etag), `${what}: the ETag must be strong, got ${etag}`, evidence);
  expect(/^"[\x21\x23-\x7e\x80-\xff]*"$/.test(etag), `${what}: the ETag must be a quoted entity tag, got ${etag}`, evidence);
}

/**
 * spec §2 Status.
 *
 * @example
 * await runConformance({ baseUrl, token, checks: statusChecks });
 */
export const statusChecks: Check[] = [
  {
    id: "status.headers",
    clause: "§2 Status",
    level: "MUST",
    title: "GET a job: 200 with a strong ETag, Cache-Control no-cache (or no-store), Retry-After while not terminal",
    needs: ["echo"],
    async run(ctx) {
      const { job } = await submitEcho(ctx, { duration_ms: 3_000 });
      const res = await getJob(ctx, job.id);
      expectStatus(res, 200, "GET the job");
      const read = expectJob(res.body, res.exchange);
      expectStrongEtag(res.headers.get("etag"), res.exchange, "GET the job");
      const cc = (res.headers.get("cache-control") ?? "").toLowerCase();
      expect(/(^|[\s,])(no-cache|no-store)([\s,=]|$)/.test(cc), `Cache-Control must include no-cache or no-store, got ${JSON.stringify(res.headers.get("cache-control"))}`, res.exchange);
      if (!isTerminal(read.status)) expectRetryAfter(res, `status 200 of a ${read.status} job`);
      await ctx.http.request("POST", `/v1/jobs/${encodeURIComponent(job.id)}/cancel`);
    },
  },
  {
    id: "status.not-modified",
    clause: "§2 Status",
    level: "MUST",
    title: "If-None-Match with the current ETag: 304 with ETag and Retry-After, no body",
    needs: ["echo"],
    async run(ctx) {
      const { job } = await submitEcho(ctx, { duration_ms: 0 });
      const done = await waitTerminal(ctx, job.id);
      expectStrongEtag(done.etag, done.res.exchange, "GET the terminal job");
      const res = await getJob(ctx, job.id, { "if-none-match": done.etag });
      expectStatus(res, 304, "GET with If-None-Match of the current ETag");
      expect(res.headers.get("etag") === done.etag, `a 304 must carry the ETag ${done.etag}, got ${JSON.stringify(res.headers.get("etag"))}`, res.exchange);
      expectRetryAfter(res, "304");
      expect(res.bytes.byteLength === 0, "a 304 has no body", res.exchange);
      const stale = await getJob(ctx, job.id, { "if-none-match": '"conformance-stale-etag"' });
      expectStatus(stale, 200, "GET with a stale If-None-Match");
    },
  },
  {
    id: "status.vary-prefer",
    clause: "§2 Status",
    level: "MUST",
    title: "GET a job answers Vary: Prefer (its content depends on Prefer: wait, RFC 7240 §2), 304 included",
    needs: ["echo"],
    async run(ctx) {
      const { job } = await submitEcho(ctx, { duration_ms: 0 });
      const done = await waitTerminal(ctx, job.id);
      const varies = (res: { headers: Headers }) =>
        (res.headers.get("vary") ?? "").split(",").some((v) => ["prefer", "*"].includes(v.trim().toLowerCase()));
      expect(varies(done.res), `a 200 must carry Vary: Prefer, got ${JSON.stringify(done.res.headers.get("vary"))}`, done.res.exchange);
      const waited = await getJob(ctx, job.id, { prefer: "wait=1" });
      expectStatus(waited, 200, "GET with Prefer: wait");
      expect(varies(waited), `a 200 to Prefer: wait must carry Vary: Prefer, got ${JSON.stringify(waited.headers.get("vary"))}`, waited.exchange);
      const etag = done.etag ?? '""';
      const unchanged = await getJob(ctx, job.id, { "if-none-match": etag });
      expectStatus(unchanged, 304, "GET with If-None-Match of the current ETag");
      expect(varies(unchanged), `a 304 must carry Vary: Prefer too, got ${JSON.stringify(unchanged.headers.get("vary"))}`, unchanged.exchange);
    },
  },
  {
    id: "status.etag-tracks-representation",
    clause: "§2 Status",
    level: "MUST",
    title: "The ETag changes whenever the job's representation changes (and only then)",
    needs: ["echo"],
    async run(ctx) {
      const { job } = await submitEcho(ctx, { duration_ms: 800, progress_steps: 4 });
      const seen = await observeJob(ctx, job.id, { intervalMs: 40 });
      const final = seen.at(-1)!;
      for (let i = 1; i < seen.length; i++) {
        const a = seen[i - 1]!;
        const b = seen[i]!;
        const same = jsonEqual(a.job, b.job);
        if (!same) expect(a.etag !== b.etag, `the job changed (${a.job.status} → ${b.job.status}) but its ETag stayed ${b.etag}`, a.res.exchange, b.res.exchange);
        if (a.etag === b.etag) expect(same, `one ETag ${a.etag} for two different representations`, a.res.exchange, b.res.exchange);
      }
      const first = seen[0]!;
      if (!jsonEqual(first.job, final.job)) {
        const res = await getJob(ctx, job.id, { "if-none-match": first.etag ?? '""' });
        expectStatus(res, 200, "GET with the ETag of an earlier representation");
      }
    },
  },
  {
    id: "status.not-found",
    clause: "§2 Status, §1 Errors",
    level: "MUST",
    title: "GET an unknown job id is 404 not_found",
    needs: [],
    async run(ctx) {
      expectProblem(await getJob(ctx, "job_conformance_unknown_0000"), 404, "not_found", "GET an unknown job");
    },
  },
];
