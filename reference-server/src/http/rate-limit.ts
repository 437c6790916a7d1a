import type { FastifyInstance, FastifyReply, FastifyRequest } from "fastify";
import type { JobStore } from "../store/job-store.ts";
import { ProblemError } from "./problems.ts";

/** Back-pressure limits (spec §1, §2); each one off when absent. */
export interface RateLimitOptions {
  /** Submits a tenant may make per window (`--submit-rate N/Ws`), per API process. */
  submitRate?: { limit: number; windowS: number };
  /** Queued jobs one tenant may have; past it a submit is `503 overloaded` (`--max-queued-per-tenant`). */
  maxQueuedPerTenant?: number;
  /** Queued jobs of all tenants together (`--max-queued`). */
  maxQueued?: number;
  /** `Retry-After` of a `503 overloaded`, seconds. @default 5 */
  overloadedRetryAfterS?: number;
  store: Pick<JobStore, "countQueued">;
  now?: () => number;
}

/** Name of the submit policy in `RateLimit-Policy` and `RateLimit`. */
export const SUBMIT_POLICY = "submit";

/** One tenant's state in a fixed window. */
export interface WindowState {
  /** Whether this request fits the quota. */
  allowed: boolean;
  /** Quota units left in the window after this request. */
  remaining: number;
  /** Whole seconds until the window resets (at least 1). */
  resetS: number;
}

/**
 * A fixed-window counter per key: `limit` units per `windowS` seconds. `take` counts one
 * request (refused ones are not counted); `peek` only reads.
 *
 * @example
 * const submits = createFixedWindow({ limit: 10, windowS: 1 });
 * submits.take("acme"); // { allowed: true, remaining: 9, resetS: 1 }
 */
export function createFixedWindow(options: { limit: number; windowS: number; now?: () => number }) {
  const { limit, windowS } = options;
  const now = options.now ?? Date.now;
  const windowMs = windowS * 1000;
  const counts = new Map<string, { start: number; count: number }>();
  const state = (key: string, take: boolean): WindowState => {
    const at = now();
    const start = Math.floor(at / windowMs) * windowMs;
    let entry = counts.get(key);
    if (!entry || entry.start !== start) {
      entry = { start, count: 0 };
      counts.set(key, entry);
      // Windows of other keys that ended are dropped now and then: memory stays bounded by active keys.
      if (counts.size > 1000) for (const [k, e] of counts) if (e.start !== start) counts.delete(k);
    }
    const allowed = entry.count < limit;
    if (take && allowed) entry.count += 1;
    return { allowed, remaining: limit - entry.count, resetS: Math.max(1, Math.ceil((start + windowMs - at) / 1000)) };
  };
  return { take: (key: string) => state(key, true), peek: (key: string) => state(key, false) };
}

/**
 * Registers back-pressure on an app (spec §1): a tenant's submits past `submitRate` are
 * `429 rate_limited`, a submit past a queued-jobs cap `503 overloaded`, both with
 * `Retry-After`. While a submit rate is configured, every answer carries `RateLimit-Policy`
 * (draft-ietf-httpapi-ratelimit-headers, structured fields) and every authenticated one the
 * tenant's `RateLimit`. Registered after the routes: fastify applies hooks at `ready`.
 *
 * @example
 * registerRateLimits(app, { store, submitRate: { limit: 10, windowS: 1 } });
 */
export function registerRateLimits(app: FastifyInstance, options: RateLimitOptions): void {
  const { submitRate, maxQueuedPerTenant, maxQueued, store } = options;
  if (!submitRate && maxQueuedPerTenant === undefined && maxQueued === undefined) return;
  const submits = submitRate ? createFixedWindow({ ...submitRate, now: options.now }) : undefined;
  const policy = submitRate ? `"${SUBMIT_POLICY}";q=${submitRate.limit};w=${submitRate.windowS}` : undefined;
  const overloadedAfter = String(options.overloadedRetryAfterS ?? 5);
  const windows = new WeakMap<FastifyRequest, WindowState>();

  const isSubmit = (request: FastifyRequest) =>
    (request.routeOptions.schema as { operationId?: string } | undefined)?.operationId === "submitJob";
  const tenantOf = (request: FastifyRequest): string | undefined => (request as { tenant?: string }).tenant;

  // After authentication (a route hook), before the body is validated or anything is stored.
  app.addHook("preValidation", async (request: FastifyRequest) => {
    const tenant = tenantOf(request);
    if (tenant === undefined || !isSubmit(request)) return;
    if (submits) {
      const state = submits.take(tenant);
      windows.set(request, state);
      if (!state.allowed) {
        throw new ProblemError("rate_limited", `More than ${submitRate!.limit} submits in ${submitRate!.windowS} s; retry after ${state.resetS} s.`, {
          headers: { "Retry-After": String(state.resetS) },
        });
      }
    }
    if (maxQueuedPerTenant !== undefined && (await store.countQueued(tenant, maxQueuedPerTenant)) >= maxQueuedPerTenant) {
      throw new ProblemError("overloaded", `This tenant has ${maxQueuedPerTenant} jobs queued, its most; retry later.`, {
        headers: { "Retry-After": overloadedAfter },
      });
    }
    if (maxQueued !== undefined && (await store.countQueued(null, maxQueued)) >= maxQueued) {
      throw new ProblemError("overloaded", "The server has as many jobs queued as it takes; retry later.", {
        headers: { "Retry-After": overloadedAfter },
      });
    }
  });

  if (!submits) return;
  app.addHook("onSend", (request: FastifyRequest, reply: FastifyReply, payload: unknown, done: (error: null, payload: unknown) => void) => {
    reply.header("RateLimit-Policy", policy);
    const tenant = tenantOf(request);
    if (tenant !== undefined) {
      const state = windows.get(request) ?? submits.peek(tenant);
      reply.header("RateLimit", `"${SUBMIT_POLICY}";r=${state.remaining};t=${state.resetS}`);
    }
    done(null, payload);
  });
}
