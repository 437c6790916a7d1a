import { createJobsMock } from "async-jobs/msw";
import { setupServer } from "msw/node";
import { afterAll, beforeAll } from "vitest";
import { describeScenarios } from "./scenarios.ts";

// The SDK's integration scenarios, run against the in-memory mock (the same suite runs against
// the real reference server in scenarios-reference-server.test.ts).
const mock = createJobsMock({ baseUrl: "http://jobs.test", minPartSize: 1024 * 1024 });
const server = setupServer(...mock.handlers);
beforeAll(() => server.listen({ onUnhandledRequest: "error" }));
afterAll(() => server.close());

describeScenarios("the msw mock", () => ({ baseUrl: mock.baseUrl, token: "tenant-a" }));
