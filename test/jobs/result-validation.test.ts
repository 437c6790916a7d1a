import { http, HttpResponse } from "msw";
import { afterEach, describe, expect, expectTypeOf, it } from "vitest";
import { z } from "zod";
import { createClient, isResultValidationError, type ResultValidationError, type StandardSchemaV1 } from "async-jobs";
import { createHandlerFetch } from "../helpers/handler-fetch.ts";
import { makeJob, testBaseUrl as base } from "../helpers/job-fixture.ts";

// createClient({ jobTypes }): results checked by the schema of their type, inputs before they
// are sent, and the types follow the schemas. msw behind ClientOptions.fetch (no globals).
const server = createHandlerFetch();
afterEach(() => server.resetHandlers());

const reportRender = {
  input: z.object({ pages: z.number().int().positive() }),
  result: z.object({ url: z.url(), pages: z.number().default(0) }),
};
const client = createClient({ baseUrl: base, token: "t", fetch: server.fetch, jobTypes: { "report.render": reportRender } });

/** A server whose report.render jobs end at once with `result`. */
function serveResult(result: unknown) {
  const sent: unknown[] = [];
  server.use(
    http.post(`${base}/v1/jobs`, async ({ request }) => {
      const body = (await request.json()) as { type: string; input: unknown };
      sent.push(body);
      return HttpResponse.json(makeJob({ id: "job_r", type: body.type, input: body.input, status: "succeeded", result, completed_at: "2026-11-23T10:00:01Z" }), { status: 200 });
    }),
  );
  return sent;
}

describe("createClient({ jobTypes })", () => {
  it("returns the schema's output (defaults applied), typed by the schema", async () => {
    serveResult({ url: "https://files.example.com/r.pdf" });
    const job = await client.jobs.submitAndWait({ type: "report.render", input: { pages: 2 } });
    expect(job.result).toEqual({ url: "https://files.example.com/r.pdf", pages: 0 });
    expectTypeOf(job.result).toEqualTypeOf<{ url: string; pages: number }>();
    // Built-in types keep their contract types.
    expectTypeOf<Parameters<typeof client.jobs.submit<"conformance.echo">>[0]["input"]>().toHaveProperty("value");
  });

  it("a result that breaks the schema throws ResultValidationError with the job id and JSON-pointer issues", async () => {
    serveResult({ url: "not a url", pages: "3" });
    const error = (await client.jobs.submitAndWait({ type: "report.render", input: { pages: 2 } }).catch((e: unknown) => e)) as ResultValidationError;
    expect(isResultValidationError(error)).toBe(true);
    expect(error.jobId).toBe("job_r");
    expect(error.issues.map((i) => i.path).sort()).toEqual(["/result/pages", "/result/url"]);
    expect(error.message).toMatch(/job_r/);
  });

  it("a wait by id checks too (client.jobs.wait)", async () => {
    server.use(http.get(`${base}/v1/jobs/job_w`, () => HttpResponse.json(makeJob({ id: "job_w", type: "report.render", status: "succeeded", result: {}, completed_at: "x" }))));
    await expect(client.jobs.wait("job_w")).rejects.toMatchObject({ name: "ResultValidationError", jobId: "job_w", issues: [{ path: "/result/url" }] });
  });

  it("an input that breaks the schema is refused before anything is sent", async () => {
    const sent = serveResult({ url: "https://x.example" });
    // @ts-expect-error pages must be a number
    const error = await client.jobs.submit({ type: "report.render", input: { pages: "2" } }).catch((e: unknown) => e);
    expect(error).toMatchObject({ name: "ResultValidationError", jobId: undefined, issues: [{ path: "/input/pages" }] });
    expect(sent).toEqual([]);
  });

  it("types without a schema are not checked; any Standard Schema works (not only zod)", async () => {
    // A hand-written Standard Schema, as Valibot or ArkType would give.
    const evenOnly: StandardSchemaV1<unknown, { n: number }> = {
      "~standard": {
        version: 1,
        vendor: "test",
        validate: async (value) =>
          (value as { n?: unknown }).n === 2 ? { value: { n: 2 } } : { issues: [{ message: "must be 2", path: [{ key: "n" }] }] },
      },
    };
    const other = createClient({ baseUrl: base, token: "t", fetch: server.fetch, jobTypes: { "count.even": { result: evenOnly } } });
    serveResult({ n: 3 });
    await expect(other.jobs.submitAndWait({ type: "count.even", input: { anything: true } })).rejects.toMatchObject({
      issues: [{ path: "/result/n", message: "must be 2" }],
    });
    serveResult({ n: 3 });
    expect((await other.jobs.submitAndWait({ type: "conformance.echo", input: { value: 1 } })).result).toEqual({ n: 3 });
  });
});
