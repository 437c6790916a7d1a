import { expectProblem, expectStatus, isRfc3339Utc } from "../assertions.ts";
import { type Check, type CheckContext, expect, setup, skip } from "../check.ts";
import type { HttpResponse } from "../http-recorder.ts";
import { getJob, submitEcho } from "../job-helpers.ts";
import { createUpload, testBytes } from "../upload-helpers.ts";

// The suite's own reading of spec §8.3 (job- and upload-scoped tokens), apart from the shared
// rules in src/protocol on purpose.

/** Mints a scoped token; skips the check, loudly, when the server does not offer them (404). */
async function mint(ctx: CheckContext, body: Record<string, unknown>): Promise<{ token: string; res: HttpResponse }> {
  const res = await ctx.http.request("POST", "/v1/tokens", { json: body });
  // The body names only the tenant's own resources, so a 404 can only mean "no such route".
  if (res.status === 404) {
    skip("scoped tokens are not offered: POST /v1/tokens answered 404 (spec §8.3 is a MAY)");
  }
  return setup("mint a scoped token", () => {
    expectStatus(res, 201, "POST /v1/tokens");
    const minted = res.body as { token?: unknown; expires_at?: unknown };
    expect(typeof minted.token === "string" && minted.token.length > 0, "a minted token needs `token`", res.exchange);
    return { token: minted.token as string, res };
  });
}

const anyJob = (ctx: CheckContext) => ctx.fixture("scoped-tokens.other-job", async (c) => (await submitEcho(c, { value: "other" })).job.id);

/**
 * spec §8.3 Job- and upload-scoped tokens. Offering them is a MAY; a server that mints them MUST
 * keep them in scope, so these are MUST checks gated on the feature: a `404` on
 * `POST /v1/tokens` skips them as "not offered".
 *
 * @example
 * await runConformance({ baseUrl, token, checks: scopedTokenChecks });
 */
export const scopedTokenChecks: Check[] = [
  {
    id: "tokens.job-scope",
    clause: "§1.3 Auth (job-scoped tokens, §8.3)",
    level: "MUST",
    title: "A job token reads its job, is 404 on another job and on cancel (without cancel), 401 on submit, list and minting",
    needs: ["echo"],
    async run(ctx) {
      const { job } = await submitEcho(ctx, { value: 1, duration_ms: 2000 });
      const other = await anyJob(ctx);
      const { token, res } = await mint(ctx, { jobs: [job.id] });
      const minted = res.body as { expires_at?: unknown };
      expect(isRfc3339Utc(minted.expires_at), `expires_at ${String(minted.expires_at)} is not an RFC 3339 UTC time`, res.exchange);
      const lifetimeS = (Date.parse(String(minted.expires_at)) - Date.now()) / 1000;
      expect(lifetimeS > 0 && lifetimeS <= 3600 + 60, `a scoped token must live at most 3600 s; this one lives ${Math.round(lifetimeS)} s`, res.exchange);
      expectStatus(await getJob(ctx, job.id, {}, { token }), 200, "GET its job with the job token");
      expectProblem(await getJob(ctx, other, {}, { token }), 404, "not_found", "GET another job with the job token");
      expectProblem(await ctx.http.request("POST", `/v1/jobs/${encodeURIComponent(job.id)}/cancel`, { token }), 404, "not_found", "cancel with a job token minted without cancel");
      const submit = await ctx.http.request("POST", "/v1/jobs", { token, json: { type: "conformance.echo", input: { value: 1 } } });
      expectProblem(submit, 401, "unauthorized", "submit with a job token");
      expectProblem(await ctx.http.request("GET", "/v1/jobs", { token }), 401, "unauthorized", "list with a job token");
      expectProblem(await ctx.http.request("POST", "/v1/tokens", { token, json: { jobs: [job.id] } }), 401, "unauthorized", "minting with a job token");
    },
  },
  {
    id: "tokens.cancel",
    clause: "§1.3 Auth (job-scoped tokens, §8.3)",
    level: "MUST",
    title: "A job token minted with cancel: true cancels its job, and only its job",
    needs: ["echo"],
    async run(ctx) {
      const { job } = await submitEcho(ctx, { value: 1, duration_ms: 5000 });
      const other = await anyJob(ctx);
      const { token } = await mint(ctx, { jobs: [job.id], cancel: true });
      expectStatus(await ctx.http.request("POST", `/v1/jobs/${encodeURIComponent(job.id)}/cancel`, { token }), [200, 202], "cancel its job");
      expectProblem(await ctx.http.request("POST", `/v1/jobs/${encodeURIComponent(other)}/cancel`, { token }), 404, "not_found", "cancel another job");
    },
  },
  {
    id: "tokens.expired",
    clause: "§1.3 Auth (job-scoped tokens, §8.3)",
    level: "MUST",
    title: "An expired or altered scoped token is 401",
    needs: ["echo"],
    async run(ctx) {
      const { job } = await submitEcho(ctx, { value: 1 });
      const { token } = await mint(ctx, { jobs: [job.id], ttl_seconds: 1 });
      const flipped = token.slice(0, -2) + (token.at(-2) === "A" ? "B" : "A") + token.at(-1);
      expectProblem(await getJob(ctx, job.id, {}, { token: flipped }), 401, "unauthorized", "GET with an altered token");
      await ctx.sleep(1500, { unscaled: true });
      expectProblem(await getJob(ctx, job.id, {}, { token }), 401, "unauthorized", "GET with a token past its expires_at");
    },
  },
  {
    id: "tokens.upload-scope",
    clause: "§1.3 Auth (upload-scoped tokens, §8.3)",
    level: "MUST",
    title: "An upload token reads its upload and signs its parts, and is 404 on abort, on other uploads and on jobs",
    needs: [],
    async run(ctx) {
      const created = await ctx.http.request("POST", "/v1/uploads", { json: { filename: "probe.bin", content_type: "application/octet-stream", size: 1 } });
      if (created.status === 404) skip("the server has no uploads (spec §4)");
      const { upload } = await createUpload(ctx, testBytes(10));
      const { upload: other } = await createUpload(ctx, testBytes(10, 2));
      const { token } = await mint(ctx, { upload: upload.id });
      const path = `/v1/uploads/${encodeURIComponent(upload.id)}`;
      expectStatus(await ctx.http.request("GET", path, { token }), 200, "GET its upload with the upload token");
      expectStatus(await ctx.http.request("POST", `${path}/part-urls`, { token, json: { numbers: [1] } }), 200, "part URLs of its upload");
      expectProblem(await ctx.http.request("DELETE", path, { token }), 404, "not_found", "abort with an upload token");
      expectProblem(await ctx.http.request("GET", `/v1/uploads/${encodeURIComponent(other.id)}`, { token }), 404, "not_found", "GET another upload");
      expectProblem(await getJob(ctx, await anyJobOrSkip(ctx), {}, { token }), 404, "not_found", "GET a job with an upload token");
    },
  },
];

async function anyJobOrSkip(ctx: CheckContext): Promise<string> {
  if (!ctx.settings.jobTypes.includes("conformance.echo")) skip("no conformance.echo to name a job");
  return anyJob(ctx);
}
