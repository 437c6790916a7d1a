import { afterAll, beforeAll, expect, test } from "vitest";
import { eventually, OTHER_TOKEN, startTestServer, type TestServer } from "../support/test-server.ts";

// Issue 13, finding 4, over HTTP: one tenant's long jobs leave worker slots to other tenants.

let server: TestServer;
beforeAll(async () => {
  server = await startTestServer(["--worker-concurrency", "4", "--max-running-per-tenant", "2"]);
});
afterAll(async () => {
  await server?.close();
});

test("a tenant with a backlog of long jobs runs at most its limit; another tenant's job runs at once", async () => {
  for (let i = 0; i < 6; i++) {
    const submitted = await server.request("POST", "/v1/jobs", { body: { type: "conformance.echo", input: { value: i, duration_ms: 30_000 } } });
    expect(submitted.status).toBe(202);
  }
  await eventually(
    async () => (await server.request("GET", "/v1/jobs?status=running")).body.data.length,
    (running: number) => running === 2,
  );
  const quick = await server.request("POST", "/v1/jobs", {
    token: OTHER_TOKEN,
    body: { type: "conformance.echo", input: { value: "b" } },
  });
  expect(quick.status).toBe(202);
  const done = await eventually(
    async () => (await server.request("GET", `/v1/jobs/${quick.body.id}`, { token: OTHER_TOKEN })).body,
    (job: { status: string; result?: unknown }) => job.status === "succeeded",
    5_000,
  );
  expect(done.result).toEqual({ value: "b" });
  // Still two of the first tenant's jobs running, four waiting: the limit held throughout.
  expect((await server.request("GET", "/v1/jobs?status=running")).body.data).toHaveLength(2);
  expect((await server.request("GET", "/v1/jobs?status=queued")).body.data).toHaveLength(4);
});
