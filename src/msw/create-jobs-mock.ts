import type { HttpHandler } from "msw";
import { createMockControls, type JobsMockControls } from "./mock-controls.ts";
import { createMockState, type JobsMockOptions } from "./mock-state.ts";
import { healthRoutes } from "./routes/health-routes.ts";
import { jobRoutes } from "./routes/job-routes.ts";
import { routeHandler, unmatchedHandler } from "./routes/mock-route.ts";
import { uploadListRoutes } from "./routes/upload-list-routes.ts";
import { uploadRoutes } from "./routes/upload-routes.ts";
import { jobsStreamRoutes } from "./routes/jobs-stream-routes.ts";
import { scopedTokenRoutes } from "./routes/scoped-token-routes.ts";

export type { JobsMockOptions, MockRequestRecord } from "./mock-state.ts";

/**
 * An in-memory async-jobs API for msw 2, with a clock the test controls.
 *
 * @example
 * const mock = createJobsMock({ time: "manual" });
 * server.use(...mock.handlers);
 * mock.advance(2000);
 */
export interface JobsMock extends JobsMockControls {
  /** Give these to `setupServer(...)` (Node) or `setupWorker(...)` (browser): one per route, then the 404/405 answer. */
  readonly handlers: HttpHandler[];
}

/**
 * Creates an in-memory async-jobs API for msw: every operation of the contract, with jobs that
 * progress and finish in virtual time, idempotency, ETags and long polls, cancels, cursors,
 * uploads and presigned downloads, and faults on demand. Every protocol rule comes from
 * src/protocol, the core the reference server uses too.
 *
 * @example
 * import { setupServer } from "msw/node";
 * import { createJobsMock } from "async-jobs/msw";
 * const mock = createJobsMock({ baseUrl: "http://jobs.test" });
 * const server = setupServer(...mock.handlers);
 * server.listen();
 */
export function createJobsMock(options: JobsMockOptions = {}): JobsMock {
  const state = createMockState(options);
  const routes = [...healthRoutes(), ...jobRoutes(state), ...uploadRoutes(state), ...uploadListRoutes(state), ...jobsStreamRoutes(state), ...scopedTokenRoutes(state)];
  const handlers = [...routes.map((route) => routeHandler(state, route)), unmatchedHandler(state, routes.filter((r) => !r.signed || state.storageUrl === state.baseUrl))];
  // Signed URLs on their own origin (an object store's): only those routes answer there.
  if (state.storageUrl !== state.baseUrl) handlers.push(unmatchedHandler(state, routes.filter((r) => r.signed), true));
  return { handlers, ...createMockControls(state) };
}

/**
 * The handlers alone, for the common case.
 *
 * @example
 * const server = setupServer(...createJobsHandlers({ baseUrl: "http://jobs.test" }));
 */
export function createJobsHandlers(options: JobsMockOptions = {}): HttpHandler[] {
  return createJobsMock(options).handlers;
}
