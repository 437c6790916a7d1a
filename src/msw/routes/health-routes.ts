import type { MockRoute } from "./mock-route.ts";

/**
 * `GET /healthz` (spec §5): always ok, without a token.
 *
 * @example
 * const handlers = healthRoutes().map((route) => routeHandler(state, route));
 */
export function healthRoutes(): MockRoute[] {
  return [{ method: "GET", path: "/healthz", auth: false, handle: () => Response.json({ status: "ok" }) }];
}
