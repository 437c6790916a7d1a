// Runnable sample for docs/testing.md (manual time); the doc block equals the region below.
// #region doc
import { createClient, type Job } from "async-jobs";
import { createJobsMock } from "async-jobs/msw";
import { setupServer } from "msw/node";
import { afterAll, afterEach, beforeAll, expect, it, vi } from "vitest";

const server = setupServer();
beforeAll(() => server.listen({ onUnhandledRequest: "error" }));
afterEach(() => server.resetHandlers());
afterAll(() => server.close());

it("reports each progress step as the test moves the clock", async () => {
  // Manual time: jobs move only when the test says so. Retry-After 0: the client never sleeps.
  const mock = createJobsMock({ baseUrl: "http://jobs.test", time: "manual", retryAfterSeconds: 0 });
  server.use(...mock.handlers);
  const client = createClient({ baseUrl: mock.baseUrl, token: "test" });

  const { job } = await client.jobs.submit({ type: "conformance.echo", input: { value: "done", duration_ms: 3000, progress_steps: 3 } });
  const seen: number[] = [];
  const waiting = client.jobs.wait(job.id, { onProgress: (j: Job) => seen.push(j.progress?.percent ?? 0) });

  for (let step = 0; step < 3; step++) {
    await vi.waitFor(() => expect(mock.heldRequests()).toBe(1)); // the client's long poll is in
    mock.advance(1000); // one virtual second: one progress step, and the long poll answers
  }
  const done = await waiting;
  expect(done.result).toEqual({ value: "done" });
  expect(seen).toEqual([0, 33, 66, 100]);
});
// #endregion
