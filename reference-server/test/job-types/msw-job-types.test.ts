import { createClient, isApiError, isJobFailedError } from "async-jobs";
import { createJobsMock } from "async-jobs/msw";
import type { JobTypesOf } from "async-jobs-server";
import { setupServer } from "msw/node";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import jobTypes, { brokenResult, wordCount } from "./fixtures/jobs.ts";

// An app's frontend test: the msw mock runs the server's own job type definitions, so the
// test exercises the real job logic (and its zod schemas) without a server.
const server = setupServer();
beforeAll(() => server.listen({ onUnhandledRequest: "error" }));
afterEach(() => server.resetHandlers());
afterAll(() => server.close());

describe("createJobsMock({ jobTypes }) with defineJobType definitions", () => {
  const baseUrl = "http://jobs.test";
  const client = createClient<JobTypesOf<typeof jobTypes>>({ baseUrl, token: "tenant-a", retry: { limit: 0 } });

  it("runs the definition's run and answers its result; the built-in types stay", async () => {
    server.use(...createJobsMock({ baseUrl, jobTypes: [wordCount, brokenResult] }).handlers);
    const job = await client.jobs.submitAndWait({ type: "text.wordcount", input: { text: "three little words" } });
    expect(job.result).toEqual({ words: 3 });
    const types = (await client.jobs.types()).map((t) => t.type);
    expect(types).toEqual(expect.arrayContaining(["conformance.echo", "text.wordcount", "test.broken-result"]));
  });

  it("refuses input with the definition's zod check, at the zod path", async () => {
    server.use(...createJobsMock({ baseUrl, jobTypes: [wordCount] }).handlers);
    // @ts-expect-error text must be a string
    const error = await client.jobs.submit({ type: "text.wordcount", input: { text: 1 } }).catch((e: unknown) => e);
    expect(isApiError(error, "invalid_input")).toBe(true);
    expect(isApiError(error) && error.problem.errors?.map((e) => e.path)).toEqual(["/input/text"]);
  });

  it("fails the job with the definition's failure code (invalid_result)", async () => {
    server.use(...createJobsMock({ baseUrl, jobTypes: [brokenResult] }).handlers);
    const error = await client.jobs.submitAndWait({ type: "test.broken-result", input: {} }).catch((e: unknown) => e);
    expect(isJobFailedError(error) && error.problem.code).toBe("invalid_result");
  });
});
