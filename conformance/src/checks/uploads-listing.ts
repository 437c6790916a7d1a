import type { Upload } from "async-jobs/types";
import { expectInvalidRequest, expectStatus, isRfc3339Utc } from "../assertions.ts";
import { type Check, type CheckContext, expect, skip } from "../check.ts";
import type { HttpResponse } from "../http-recorder.ts";
import { createUpload, testBytes } from "../upload-helpers.ts";

// The suite's own reading of spec §8.4 (pending-uploads listing, an extension): a server that
// answers the listing 404 or 405 does not have it, and these checks skip.

const PENDING_FIELDS = ["id", "status", "filename", "content_type", "size", "sha256", "part_size", "part_count", "created_at", "expires_at"] as const;

interface Listed {
  id: string;
  status: string;
  filename: string;
  size: number;
  created_at: string;
  expires_at: string;
}

/** One page of the listing; skips the check when the server has no listing. */
async function listPage(ctx: CheckContext, query: string, token?: string): Promise<{ res: HttpResponse; data: Listed[]; next: string | null }> {
  const res = await ctx.http.request("GET", `/v1/uploads?status=pending${query}`, token === undefined ? {} : { token });
  if (res.status === 404 || res.status === 405) skip(`GET /v1/uploads?status=pending answered ${res.status}: the server does not list pending uploads (spec §8.4, an extension)`);
  expectStatus(res, 200, `GET /v1/uploads?status=pending${query}`);
  const body = res.body as { data?: unknown; next_cursor?: unknown };
  expect(body !== null && typeof body === "object" && Array.isArray(body.data), "the listing must be { data: [...], next_cursor }", res.exchange);
  expect(body.next_cursor === null || (typeof body.next_cursor === "string" && body.next_cursor.length > 0), `next_cursor must be a non-empty string or null, got ${JSON.stringify(body.next_cursor)}`, res.exchange);
  for (const entry of body.data as Record<string, unknown>[]) {
    const missing = PENDING_FIELDS.filter((f) => !(f in entry));
    expect(missing.length === 0, `a listed upload lacks ${missing.join(", ")}`, res.exchange);
    expect(entry.status === "pending", `the pending listing shows an upload whose status is ${JSON.stringify(entry.status)}`, res.exchange);
    expect(isRfc3339Utc(entry.created_at) && isRfc3339Utc(entry.expires_at), "created_at and expires_at must be RFC 3339 UTC times", res.exchange);
  }
  return { res, data: body.data as Listed[], next: body.next_cursor as string | null };
}

/** Pages (two at a time) until every id in `wanted` was seen or the listing ends. */
async function pageUntil(ctx: CheckContext, wanted: readonly string[]): Promise<{ res: HttpResponse; data: Listed[] }[]> {
  const pages: { res: HttpResponse; data: Listed[] }[] = [];
  let cursor: string | null = null;
  for (let guard = 0; guard < 500; guard++) {
    const page = await listPage(ctx, `&limit=2${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ""}`);
    pages.push(page);
    const seen = new Set(pages.flatMap((p) => p.data.map((u) => u.id)));
    if (wanted.every((id) => seen.has(id)) || page.next === null) break;
    cursor = page.next;
  }
  return pages;
}

/**
 * spec §8.4 Pending-uploads listing (SHOULD-level: an extension a server may lack).
 *
 * @example
 * await runConformance({ baseUrl, token, checks: uploadListingChecks });
 */
export const uploadListingChecks: Check[] = [
  {
    id: "uploads.pending-listing",
    clause: "§4 Uploads (§8.4 pending-uploads listing, an extension)",
    level: "SHOULD",
    title: "GET /v1/uploads?status=pending lists the caller's pending uploads newest first, paged without repeats, ended ones left out",
    needs: [],
    timeoutMs: 30_000,
    async run(ctx) {
      await listPage(ctx, "&limit=1"); // skips here on a server without the listing
      const tag = `listing-${Date.now().toString(36)}`;
      const made: Upload[] = [];
      for (let i = 0; i < 3; i++) {
        made.push((await createUpload(ctx, testBytes(100, 70 + i), { filename: `${tag}-${i}.bin` })).upload);
        await ctx.sleep(15, { unscaled: true }); // distinct creation times
      }
      const aborted = made[1]!;
      expectStatus(await ctx.http.request("DELETE", `/v1/uploads/${encodeURIComponent(aborted.id)}`), 204, "abort upload");
      const wanted = [made[2]!.id, made[0]!.id];
      const pages = await pageUntil(ctx, wanted);
      const listed = pages.flatMap((p) => p.data.map((upload) => ({ upload, res: p.res })));
      const firstSeen = new Map<string, HttpResponse>();
      for (const { upload, res } of listed) {
        expect(!firstSeen.has(upload.id), `upload ${upload.id} is on two pages`, firstSeen.get(upload.id)?.exchange, res.exchange);
        firstSeen.set(upload.id, res);
      }
      const exchanges = pages.map((p) => p.res.exchange);
      for (const id of wanted) expect(firstSeen.has(id), `the pending upload ${id} was not listed`, ...exchanges);
      expect(!firstSeen.has(aborted.id), `the aborted upload ${aborted.id} is listed as pending`, ...exchanges);
      const newest = listed.find((l) => l.upload.id === made[2]!.id)!.upload;
      expect(newest.filename === `${tag}-2.bin` && newest.size === 100, `the listing shows ${newest.id} as ${newest.filename} of ${newest.size} bytes, not as created`, ...exchanges);
      for (let i = 1; i < listed.length; i++) {
        const [a, b] = [listed[i - 1]!, listed[i]!];
        expect(Date.parse(b.upload.created_at) <= Date.parse(a.upload.created_at), `${b.upload.id} (created ${b.upload.created_at}) is listed after the newer ${a.upload.id} (created ${a.upload.created_at})`, a.res.exchange, b.res.exchange);
      }
      if (ctx.settings.otherToken !== undefined) {
        const theirs = await listPage(ctx, "&limit=100", ctx.settings.otherToken);
        const leaked = theirs.data.filter((u) => made.some((m) => m.id === u.id));
        expect(leaked.length === 0, "another tenant's listing shows this tenant's uploads", theirs.res.exchange);
      } else ctx.note("no --other-token: tenant isolation of the listing was not checked");
    },
  },
  {
    id: "uploads.pending-listing-query",
    clause: "§4 Uploads (§8.4 pending-uploads listing, an extension)",
    level: "SHOULD",
    title: "The listing without status=pending, with a limit outside 1..100 or a bad cursor is 400 invalid_request",
    needs: [],
    async run(ctx) {
      await listPage(ctx, "&limit=1");
      for (const query of ["", "?status=completed", "?status=pending&limit=0", "?status=pending&limit=101", "?status=pending&cursor=%21%21not-a-cursor%21%21"]) {
        const res = await ctx.http.request("GET", `/v1/uploads${query}`);
        expectInvalidRequest(res, undefined, `GET /v1/uploads${query}`, "query");
      }
    },
  },
];
