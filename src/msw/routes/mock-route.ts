import { http, HttpResponse, type HttpHandler } from "msw";
import { answerThroughFault, takeFault } from "../mock-fault.ts";
import type { MockState } from "../mock-state.ts";
import { ProblemError, problemResponse } from "../problem-response.ts";
import { authenticateMock } from "./scoped-token-routes.ts";

/** What a route handler gets for one request. */
export interface RouteContext {
  request: Request;
  url: URL;
  /** The bearer token's tenant; "" on routes without auth (signed URLs, health). */
  tenant: string;
  /** Path parameters, decoded. */
  params: Record<string, string>;
  /** Run after the answer is final (also when a fault replaces it): e.g. an idempotency key leaves "in flight". */
  onDone: (() => void)[];
}

/** One operation of the API as the mock serves it. */
export interface MockRoute {
  method: "GET" | "POST" | "PUT" | "DELETE";
  /** Path template from the base URL, msw style: `/v1/jobs/:id`. */
  path: string;
  /** Needs a bearer token (spec §1); signed URLs and health do not. */
  auth: boolean;
  /** A signed URL's route: served where signed URLs point (`storageUrl`). @default false */
  signed?: boolean;
  handle(ctx: RouteContext): Response | Promise<Response>;
}

/**
 * The msw handler of one route: faults, the request log and `X-Request-Id` around the route's
 * own answer, a thrown {@link ProblemError} answered as problem+json and any other throw as
 * `500 internal` (a bug in the mock or in a custom job type is a server fault).
 *
 * @example
 * server.use(routeHandler(state, { method: "GET", path: "/healthz", auth: false, handle: () => Response.json({ status: "ok" }) }));
 */
export function routeHandler(state: MockState, route: MockRoute): HttpHandler {
  const on = { GET: http.get, POST: http.post, PUT: http.put, DELETE: http.delete }[route.method];
  const [base, basePath] = route.signed ? [state.storageUrl, state.storagePath] : [state.baseUrl, state.basePath];
  return on(`${base}${route.path}`, ({ request, params }) =>
    serve(state, request, basePath, async (url, onDone) => {
      state.scheduler.runDue();
      const tenant = route.auth ? authenticateMock(state, route, request, url, params as Record<string, string>) : "";
      return route.handle({ request, url, tenant, params: params as Record<string, string>, onDone });
    }),
  );
}

/**
 * The last handler: a path no route serves is `404 not_found`; a path served with other methods
 * is `405` with `Allow` (spec §1).
 *
 * @example
 * const handlers = [...routes.map((r) => routeHandler(state, r)), unmatchedHandler(state, routes)];
 */
export function unmatchedHandler(state: MockState, routes: readonly MockRoute[], storage = false): HttpHandler {
  const patterns = routes.map((r) => ({ method: r.method, pattern: new RegExp(`^${r.path.replace(/:[^/]+/g, "[^/]+")}$`) }));
  const [base, basePath] = storage ? [state.storageUrl, state.storagePath] : [state.baseUrl, state.basePath];
  return http.all(`${base}/*`, ({ request }) =>
    serve(state, request, basePath, async (_url, _onDone, path) => {
      const allow = [...new Set(patterns.filter((p) => p.pattern.test(path)).map((p) => p.method))];
      if (allow.length === 0) throw new ProblemError("not_found", `No resource at ${path}.`);
      throw new ProblemError("invalid_request", `${request.method} is not allowed on ${path}.`, { status: 405, headers: { allow: allow.join(", ") } });
    }),
  );
}

async function serve(
  state: MockState,
  request: Request,
  basePath: string,
  answer: (url: URL, onDone: (() => void)[], path: string) => Promise<Response>,
): Promise<Response> {
  const url = new URL(request.url);
  const path = url.pathname.slice(basePath.length);
  const requestId = request.headers.get("x-request-id") ?? `req_${state.requests.length + 1}`;
  const onDone: (() => void)[] = [];
  let response: Response | "network-error";
  try {
    response = await answerThroughFault(takeFault(state.faults, request.method, path), async () => {
      try {
        return await answer(url, onDone, path);
      } catch (e) {
        if (e instanceof ProblemError) return problemResponse(e);
        return problemResponse(new ProblemError("internal", e instanceof Error ? e.message : String(e)));
      }
    });
  } finally {
    for (const done of onDone) done();
  }
  if (response === "network-error") {
    state.requests.push({ method: request.method, path, status: 0 });
    return HttpResponse.error();
  }
  response.headers.set("x-request-id", requestId);
  state.requests.push({ method: request.method, path, status: response.status });
  return response;
}
