import { expectJob, expectProblem, expectStatus } from "../assertions.ts";
import { type Check, expect } from "../check.ts";
import { submitEcho } from "../job-helpers.ts";

function expectUnauthorized(res: Parameters<typeof expectProblem>[0], what: string) {
  expectProblem(res, 401, "unauthorized", what);
  const challenge = res.headers.get("www-authenticate") ?? "";
  expect(/^\s*bearer\b/i.test(challenge), `${what}: 401 must carry WWW-Authenticate: Bearer, got ${JSON.stringify(challenge || null)}`, res.exchange);
}

/**
 * spec §1 Auth and tenant isolation.
 *
 * @example
 * await runConformance({ baseUrl, token, checks: authChecks });
 */
export const authChecks: Check[] = [
  {
    id: "auth.missing-token",
    clause: "§1 Auth",
    level: "MUST",
    title: "No Authorization header: 401 unauthorized with WWW-Authenticate: Bearer",
    needs: [],
    async run(ctx) {
      for (const [method, path] of [["GET", "/v1/jobs"], ["GET", "/v1/job-types"], ["GET", "/v1/jobs/job_conformance_missing"]] as const) {
        expectUnauthorized(await ctx.http.request(method, path, { token: null }), `${method} ${path} without a token`);
      }
      const post = await ctx.http.request("POST", "/v1/jobs", { token: null, json: { type: "conformance.echo", input: {} } });
      expectUnauthorized(post, "POST /v1/jobs without a token");
    },
  },
  {
    id: "auth.invalid-token",
    clause: "§1 Auth",
    level: "MUST",
    title: "An unknown or malformed bearer token: 401 with WWW-Authenticate: Bearer",
    needs: [],
    async run(ctx) {
      expectUnauthorized(await ctx.http.request("GET", "/v1/jobs", { token: `${ctx.settings.token}x-not-a-token` }), "GET /v1/jobs with an unknown token");
      expectUnauthorized(await ctx.http.request("GET", "/v1/jobs", { token: null, headers: { authorization: "Bearer" } }), "GET /v1/jobs with an empty bearer");
      expectUnauthorized(await ctx.http.request("GET", "/v1/jobs", { token: null, headers: { authorization: `Basic ${btoa("user:pass")}` } }), "GET /v1/jobs with Basic auth");
    },
  },
  {
    id: "tenant.job-not-found",
    clause: "§1 Auth (tenant isolation)",
    level: "MUST",
    title: "Another tenant's job is answered exactly like a missing one: 404, never 403",
    needs: ["echo", "other-token"],
    async run(ctx) {
      const { job } = await submitEcho(ctx, { duration_ms: 0 });
      const other = await ctx.http.request("GET", `/v1/jobs/${encodeURIComponent(job.id)}`, { token: ctx.settings.otherToken });
      expect(other.status !== 403, "another tenant's job must be 404, never 403", other.exchange);
      expectProblem(other, 404, "not_found", "GET another tenant's job");
      expect(!other.text.includes(job.id) || !other.text.includes("conformance.echo"), "the 404 must not leak the job", other.exchange);
      const missing = await ctx.http.request("GET", `/v1/jobs/${encodeURIComponent(job.id)}x`, { token: ctx.settings.otherToken });
      expectProblem(missing, 404, "not_found", "GET a missing job");
    },
  },
  {
    id: "tenant.cancel-not-found",
    clause: "§1 Auth (tenant isolation)",
    level: "MUST",
    title: "Canceling another tenant's job is 404 and leaves the job alone",
    needs: ["echo", "other-token"],
    async run(ctx) {
      const { job } = await submitEcho(ctx, { duration_ms: 3_000 });
      const res = await ctx.http.request("POST", `/v1/jobs/${encodeURIComponent(job.id)}/cancel`, { token: ctx.settings.otherToken });
      expect(res.status !== 403, "another tenant's job must be 404, never 403", res.exchange);
      expectProblem(res, 404, "not_found", "cancel another tenant's job");
      const own = await ctx.http.request("GET", `/v1/jobs/${encodeURIComponent(job.id)}`);
      expectStatus(own, 200, "GET own job");
      const j = expectJob(own.body, own.exchange);
      expect(j.cancel_requested === false && j.status !== "canceled", "another tenant's cancel must not touch the job", res.exchange, own.exchange);
      await ctx.http.request("POST", `/v1/jobs/${encodeURIComponent(job.id)}/cancel`);
    },
  },
  {
    id: "tenant.deliveries-not-found",
    clause: "§1 Auth (tenant isolation)",
    level: "MUST",
    title: "Another tenant's delivery log is 404",
    needs: ["echo", "other-token"],
    async run(ctx) {
      const { job } = await submitEcho(ctx, { duration_ms: 0 });
      const res = await ctx.http.request("GET", `/v1/jobs/${encodeURIComponent(job.id)}/deliveries`, { token: ctx.settings.otherToken });
      expect(res.status !== 403, "another tenant's job must be 404, never 403", res.exchange);
      expectProblem(res, 404, "not_found", "GET another tenant's deliveries");
    },
  },
  {
    id: "tenant.list-isolated",
    clause: "§1 Auth (tenant isolation)",
    level: "MUST",
    title: "A tenant's list never shows another tenant's jobs",
    needs: ["echo", "other-token"],
    async run(ctx) {
      const { job } = await submitEcho(ctx, { duration_ms: 0 });
      const res = await ctx.http.request("GET", "/v1/jobs?limit=100", { token: ctx.settings.otherToken });
      expectStatus(res, 200, "list as the other tenant");
      const ids = ((res.body as { data?: { id: string }[] }).data ?? []).map((j) => j.id);
      expect(!ids.includes(job.id), `the other tenant's list shows job ${job.id}`, res.exchange);
    },
  },
  {
    id: "tenant.idempotency-per-tenant",
    clause: "§2 Submit (idempotency keyed per tenant)",
    level: "MUST",
    title: "The same Idempotency-Key in two tenants makes two jobs",
    needs: ["echo", "other-token"],
    async run(ctx) {
      const key = ctx.unique("conf-tenant");
      const a = await submitEcho(ctx, { value: "a" }, { headers: { "idempotency-key": key } });
      const b = await submitEcho(ctx, { value: "b" }, { headers: { "idempotency-key": key }, token: ctx.settings.otherToken! });
      expect(b.job.id !== a.job.id, "another tenant's key replayed this tenant's job", a.res.exchange, b.res.exchange);
      expect(b.res.headers.get("idempotent-replayed") !== "true", "a key of another tenant must not replay", b.res.exchange);
    },
  },
  {
    id: "tenant.upload-not-found",
    clause: "§1 Auth (tenant isolation)",
    level: "MUST",
    title: "Another tenant's upload is 404 on read, part-urls, complete and abort",
    needs: ["other-token"],
    async run(ctx) {
      const created = await ctx.http.request("POST", "/v1/uploads", { json: { filename: "iso.bin", content_type: "application/octet-stream", size: 10 } });
      expectStatus(created, 201, "create upload");
      const id = encodeURIComponent((created.body as { id: string }).id);
      const token = ctx.settings.otherToken;
      const attempts = [
        await ctx.http.request("GET", `/v1/uploads/${id}`, { token }),
        await ctx.http.request("POST", `/v1/uploads/${id}/part-urls`, { token, json: { numbers: [1] } }),
        await ctx.http.request("POST", `/v1/uploads/${id}/complete`, { token, json: { parts: [{ number: 1, etag: '"x"' }] } }),
        await ctx.http.request("DELETE", `/v1/uploads/${id}`, { token }),
      ];
      for (const res of attempts) {
        expect(res.status !== 403, "another tenant's upload must be 404, never 403", res.exchange);
        expectProblem(res, 404, "not_found", `${res.exchange.method} another tenant's upload`);
      }
      const own = await ctx.http.request("GET", `/v1/uploads/${id}`);
      expectStatus(own, 200, "GET own upload");
      expect((own.body as { status?: string }).status === "pending", "another tenant's abort must not touch the upload", own.exchange);
    },
  },
];
