import type { Job } from "async-jobs/types";
import { expectInvalidRequest, expectJob, expectStatus } from "../assertions.ts";
import { type Check, type CheckContext, expect } from "../check.ts";
import type { HttpResponse } from "../http-recorder.ts";
import { submitEcho, waitTerminal } from "../job-helpers.ts";

async function list(ctx: CheckContext, query: string): Promise<{ res: HttpResponse; data: Job[]; next: string | null }> {
  const res = await ctx.http.request("GET", `/v1/jobs${query ? `?${query}` : ""}`);
  expectStatus(res, 200, `GET /v1/jobs?${query}`);
  const body = res.body as { data?: unknown; next_cursor?: unknown };
  expect(body && Array.isArray(body.data), "a list must be { data: [...] }", res.exchange);
  expect(body.next_cursor === null || (typeof body.next_cursor === "string" && body.next_cursor.length > 0), `next_cursor must be a string or null, got ${JSON.stringify(body.next_cursor)}`, res.exchange);
  const data = (body.data as unknown[]).map((j) => expectJob(j, res.exchange, "listed job"));
  return { res, data, next: body.next_cursor as string | null };
}

/** Five jobs made one after the other, then paged two at a time with a new job made between pages. */
function pagedRun(ctx: CheckContext) {
  return ctx.fixture("list.paged-run", async (f) => {
    const mine: string[] = [];
    for (let i = 0; i < 5; i++) {
      mine.push((await submitEcho(f, { value: `page-${i}`, duration_ms: 0 })).job.id);
      await f.sleep(15, { unscaled: true });
    }
    const pages: { res: HttpResponse; data: Job[]; next: string | null }[] = [];
    let cursor: string | null = null;
    for (let guard = 0; guard < 50; guard++) {
      const page = await list(f, `type=conformance.echo&limit=2${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ""}`);
      pages.push(page);
      // A job made while paging must not shift the pages.
      if (guard === 0) await submitEcho(f, { value: "between-pages", duration_ms: 0 });
      const seen = new Set(pages.flatMap((p) => p.data.map((j) => j.id)));
      if (mine.every((id) => seen.has(id)) || page.next === null) break;
      cursor = page.next;
    }
    return { mine, pages };
  });
}

/**
 * spec §2 List.
 *
 * @example
 * await runConformance({ baseUrl, token, checks: listChecks });
 */
export const listChecks: Check[] = [
  {
    id: "list.shape",
    clause: "§2 List",
    level: "MUST",
    title: "GET /v1/jobs is 200 { data: [Job], next_cursor }, at most 20 by default",
    needs: [],
    async run(ctx) {
      const { res, data } = await list(ctx, "");
      expect(data.length <= 20, `the default limit is 20, got ${data.length} jobs`, res.exchange);
      const one = await list(ctx, "limit=1");
      expect(one.data.length <= 1, `limit=1 returned ${one.data.length} jobs`, one.res.exchange);
    },
  },
  {
    id: "list.pagination",
    clause: "§2 List",
    level: "MUST",
    title: "Pages never repeat or skip a job that existed when the first page was read",
    needs: ["echo"],
    timeoutMs: 20_000,
    async run(ctx) {
      const { mine, pages } = await pagedRun(ctx);
      const seen = new Map<string, HttpResponse>();
      for (const page of pages) {
        expect(page.data.length <= 2, `limit=2 returned ${page.data.length} jobs`, page.res.exchange);
        for (const job of page.data) {
          expect(!seen.has(job.id), `job ${job.id} appears on two pages`, seen.get(job.id)?.exchange, page.res.exchange);
          seen.set(job.id, page.res);
        }
      }
      const missing = mine.filter((id) => !seen.has(id));
      expect(missing.length === 0, `paging skipped ${missing.join(", ")}`, ...pages.map((p) => p.res.exchange));
    },
  },
  {
    id: "list.newest-first",
    clause: "§2 List",
    level: "MUST",
    title: "Lists are newest first, across pages",
    needs: ["echo"],
    timeoutMs: 20_000,
    async run(ctx) {
      const { pages } = await pagedRun(ctx);
      const all = pages.flatMap((p) => p.data.map((job) => ({ job, res: p.res })));
      for (let i = 1; i < all.length; i++) {
        const a = all[i - 1]!;
        const b = all[i]!;
        expect(Date.parse(b.job.created_at) <= Date.parse(a.job.created_at), `${b.job.id} (created ${b.job.created_at}) is listed after the older ${a.job.id} (created ${a.job.created_at})`, a.res.exchange, b.res.exchange);
      }
    },
  },
  {
    id: "list.filters",
    clause: "§2 List",
    level: "MUST",
    title: "status (a comma-separated list) and type filter the list",
    needs: ["echo"],
    async run(ctx) {
      const { job } = await submitEcho(ctx, { duration_ms: 0 });
      // A job that stays active while the filter is read: a filter that is ignored lists it.
      const active = await submitEcho(ctx, { duration_ms: 10_000 });
      await waitTerminal(ctx, job.id);
      const byStatus = await list(ctx, "status=succeeded,failed&limit=100");
      await ctx.http.request("POST", `/v1/jobs/${encodeURIComponent(active.job.id)}/cancel`);
      for (const j of byStatus.data) expect(j.status === "succeeded" || j.status === "failed", `status=succeeded,failed listed a ${j.status} job`, byStatus.res.exchange);
      expect(!byStatus.data.some((j) => j.id === active.job.id), "status=succeeded,failed listed a job that is still active", byStatus.res.exchange);
      expect(byStatus.data.some((j) => j.id === job.id), `status=succeeded,failed did not list the just-succeeded ${job.id}`, byStatus.res.exchange);
      const queued = await list(ctx, "status=queued&limit=100");
      expect(!queued.data.some((j) => j.id === job.id), "status=queued listed a succeeded job", queued.res.exchange);
      const byType = await list(ctx, "type=conformance.echo&limit=5");
      for (const j of byType.data) expect(j.type === "conformance.echo", `type=conformance.echo listed a ${j.type} job`, byType.res.exchange);
      const none = await list(ctx, "type=conformance.no-such-type");
      expect(none.data.length === 0, "type= of an unknown type must list nothing", none.res.exchange);
    },
  },
  {
    id: "list.invalid-query",
    clause: "§2 List, §1 Errors",
    level: "MUST",
    title: "limit outside 1..100, an unknown status or a bad cursor is 400 invalid_request",
    needs: [],
    async run(ctx) {
      for (const q of ["limit=0", "limit=101", "limit=ten", "status=finished", "status=queued,bogus", "cursor=%21%21not-a-cursor%21%21"]) {
        const res = await ctx.http.request("GET", `/v1/jobs?${q}`);
        expectInvalidRequest(res, undefined, `GET /v1/jobs?${q}`, "query");
      }
    },
  },
];
