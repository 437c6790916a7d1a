import { afterAll, beforeAll } from "vitest";
import { startReferenceServer, type ReferenceServerProcess } from "../cli/reference-server-process.ts";
import { describeScenarios } from "./scenarios.ts";

// The same scenarios as scenarios-msw.test.ts, against the real reference server on a loopback
// port: whatever the mock answers, the real server answers too.
let server: ReferenceServerProcess;
beforeAll(async () => {
  server = await startReferenceServer(["--min-part-size", String(1024 * 1024)]);
}, 60_000);
afterAll(() => server?.stop());

describeScenarios("the reference server", () => ({ baseUrl: server.baseUrl, token: server.token }));
