import { maxJobsPerScope, scopedTokenAccess, scopedTokenLifetimeS, type TokenScope } from "../../protocol/scoped-token.ts";
import { parseJobIds } from "../../protocol/jobs-stream.ts";
import type { MockState } from "../mock-state.ts";
import { ProblemError } from "../problem-response.ts";
import { readJsonBody, tenantOf } from "../read-request.ts";
import type { MockRoute } from "./mock-route.ts";

// The mock keeps its tokens in memory (one process, nothing to scale out): token → scope.
const books = new WeakMap<MockState, Map<string, TokenScope>>();
const bookOf = (state: MockState) => {
  let book = books.get(state);
  if (!book) books.set(state, (book = new Map()));
  return book;
};

// The mock's routes by operationId (openapi.yaml), for the scope rules of spec §8.3.
const operations: Record<string, string> = {
  "GET /v1/jobs/:id": "getJob",
  "POST /v1/jobs/:id/cancel": "cancelJob",
  "GET /v1/jobs/:id/deliveries": "listDeliveries",
  "GET /v1/jobs-stream": "streamJobs",
  "GET /v1/uploads/:id": "getUpload",
  "DELETE /v1/uploads/:id": "abortUpload",
  "POST /v1/uploads/:id/part-urls": "createPartUrls",
  "POST /v1/uploads/:id/complete": "completeUpload",
};

/**
 * The tenant a request acts for: a tenant token's, or a scoped token's on the operations and
 * resources it grants (spec §8.3: `404` on other jobs or uploads, `401` on operations naming
 * none and once expired).
 *
 * @example
 * const tenant = route.auth ? authenticateMock(state, route, request, url, params) : "";
 */
export function authenticateMock(state: MockState, route: MockRoute, request: Request, url: URL, params: Record<string, string>): string {
  const bearer = /^Bearer\s+(\S+)$/i.exec(request.headers.get("authorization") ?? "")?.[1];
  const scope = bearer === undefined ? undefined : bookOf(state).get(bearer);
  if (!scope) return tenantOf(request, state.options.tokens);
  const refuse = (detail: string) => new ProblemError("unauthorized", detail, { headers: { "www-authenticate": "Bearer" } });
  if (state.scheduler.now() >= scope.expiresAt) throw refuse("The scoped token has expired.");
  const ids = params.id !== undefined ? [params.id] : parseJobIds(url.searchParams.get("ids") ?? undefined);
  const access = scopedTokenAccess(scope, operations[`${route.method} ${route.path}`] ?? "", ids);
  if (access === "unauthorized") throw refuse("A scoped token is not valid for this operation.");
  if (access === "not_found") throw new ProblemError("not_found", "Not found.");
  return scope.tenant;
}

/**
 * `POST /v1/tokens` (spec §8.3): mints a job- or upload-scoped token for the tenant's own jobs
 * or upload.
 *
 * @example
 * const handlers = scopedTokenRoutes(state).map((route) => routeHandler(state, route));
 */
export function scopedTokenRoutes(state: MockState): MockRoute[] {
  let minted = 0;
  return [
    {
      method: "POST",
      path: "/v1/tokens",
      auth: true,
      async handle({ request, tenant }) {
        const body = (await readJsonBody(request, state.bodyLimit)) as { jobs?: unknown; upload?: unknown; cancel?: unknown; ttl_seconds?: unknown } | undefined;
        const jobs = body?.jobs;
        const upload = body?.upload;
        const ttl = body?.ttl_seconds;
        const validJobs = Array.isArray(jobs) && jobs.length >= 1 && jobs.length <= maxJobsPerScope && jobs.every((id) => typeof id === "string");
        if ((jobs === undefined) === (upload === undefined) || (jobs !== undefined && !validJobs) || (upload !== undefined && typeof upload !== "string")) {
          throw new ProblemError("invalid_request", "Name either `jobs` (1 to 100 ids) or `upload`.", { errors: [{ path: "", message: "must have exactly one of jobs, upload" }] });
        }
        if (ttl !== undefined && !(Number.isInteger(ttl) && (ttl as number) >= 1 && (ttl as number) <= 3600)) {
          throw new ProblemError("invalid_request", "ttl_seconds must be an integer from 1 to 3600.", { errors: [{ path: "/ttl_seconds", message: "must be 1 to 3600" }] });
        }
        const expiresAt = state.scheduler.now() + scopedTokenLifetimeS(ttl as number | undefined) * 1000;
        let scope: TokenScope;
        if (jobs !== undefined) {
          const ids = [...new Set(jobs as string[])];
          for (const id of ids) state.jobs.find(tenant, id); // 404 unless the tenant's
          scope = { kind: "jobs", tenant, jobs: ids, cancel: body?.cancel === true, expiresAt };
        } else {
          state.uploads.find(tenant, upload as string);
          scope = { kind: "upload", tenant, upload: upload as string, expiresAt };
        }
        const token = `ajst_mock_${++minted}_${Math.random().toString(36).slice(2)}`;
        bookOf(state).set(token, scope);
        const grant = scope.kind === "jobs" ? { jobs: scope.jobs, cancel: scope.cancel } : { upload: scope.upload };
        return Response.json({ token, expires_at: new Date(expiresAt).toISOString(), ...grant }, { status: 201, headers: { "cache-control": "no-store" } });
      },
    },
  ];
}
