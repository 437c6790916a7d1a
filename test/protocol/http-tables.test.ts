import { createJobsMock } from "async-jobs/msw";
import { getResponse } from "msw";
import { afterAll, beforeAll } from "vitest";
import { startReferenceServer, type ReferenceServer } from "../helpers/reference-server.ts";
import { describeProtocolOverHttp } from "./http-tables.ts";

// Each drifted rule's table (protocol-tables.ts), written once, run over HTTP against the msw
// mock and the real reference server on port 0.
const mock = createJobsMock({ baseUrl: "http://jobs.test", minPartSize: 1 });
describeProtocolOverHttp("the msw mock", () => ({
  token: "tenant-a",
  maxWaitSeconds: 20,
  // Straight to the mock's handlers: no global fetch interception, so the server suite below
  // reaches its real port.
  send: async (pathOrUrl, init) => {
    const request = new Request(new URL(pathOrUrl, mock.baseUrl), init);
    const response = await getResponse(mock.handlers, request);
    if (!response) throw new Error(`the mock has no handler for ${request.method} ${request.url}`);
    return response;
  },
}));

let server: ReferenceServer;
beforeAll(async () => {
  server = await startReferenceServer({ tenants: ["a"] });
}, 60_000);
afterAll(() => server?.stop());
describeProtocolOverHttp("the reference server", () => ({
  token: server.tokens.a!,
  maxWaitSeconds: 20,
  send: (pathOrUrl, init) => fetch(new URL(pathOrUrl, server.url), init),
}));
