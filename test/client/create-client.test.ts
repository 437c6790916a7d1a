import { http, HttpResponse } from "msw";
import { setupServer } from "msw/node";
import { afterAll, afterEach, beforeAll, describe, expect, expectTypeOf, it, vi } from "vitest";
import { createClient, defaultClientOptions, type AsyncJobsClient, type BuiltInJobTypes } from "async-jobs";
import { createBaseClient, submit, type BaseClient } from "async-jobs/jobs";
import type { ChecksumInput, ChecksumResult, EchoResult, GzipResult } from "async-jobs/types";
import { makeJob, testBaseUrl as base } from "../helpers/job-fixture.ts";

const server = setupServer();
beforeAll(() => server.listen({ onUnhandledRequest: "error" }));
afterEach(() => server.resetHandlers());
afterAll(() => server.close());

describe("createClient", () => {
  it("requires baseUrl", () => {
    expect(() => createClient({} as never)).toThrow(/baseUrl/);
  });

  it("keeps its defaults in one object", () => {
    expect(defaultClientOptions).toEqual({
      timeoutMs: 30_000,
      retry: { limit: 2, initialDelayMs: 500, maxDelayMs: 8_000, maxRetryAfterMs: 60_000 },
      headers: {},
    });
  });

  it("sends headers, user agent, and a fresh token from getToken on each call, through an injected fetch", async () => {
    const seen: Request[] = [];
    let n = 0;
    const client = createClient({
      baseUrl: "http://injected.test/prefix/",
      getToken: async () => `t${++n}`,
      headers: { "x-team": "blue" },
      userAgent: "my-app/1.0",
      fetch: async (input) => {
        seen.push(input as Request);
        return Response.json(makeJob());
      },
    });
    await client.jobs.get("job 1/x");
    await client.jobs.get("job_2");
    expect(seen.map((r) => r.url)).toEqual(["http://injected.test/prefix/v1/jobs/job%201%2Fx", "http://injected.test/prefix/v1/jobs/job_2"]);
    expect(seen.map((r) => r.headers.get("authorization"))).toEqual(["Bearer t1", "Bearer t2"]);
    expect(seen[0]!.headers.get("x-team")).toBe("blue");
    expect(seen[0]!.headers.get("user-agent")).toBe("my-app/1.0");
  });

  it("sends no Authorization without a token", async () => {
    let auth: string | null = "unset";
    server.use(http.get(`${base}/v1/jobs/job_1`, ({ request }) => ((auth = request.headers.get("authorization")), HttpResponse.json(makeJob()))));
    await createClient({ baseUrl: base }).jobs.get("job_1");
    expect(auth).toBeNull();
  });

  it("each client method is the free function on the same transport", async () => {
    server.use(http.post(`${base}/v1/jobs`, () => HttpResponse.json(makeJob(), { status: 202 })));
    const client = createClient({ baseUrl: base });
    const viaFree = await submit(client, { type: "conformance.echo", input: {} });
    const viaMethod = await client.jobs.submit({ type: "conformance.echo", input: {} });
    expect(viaFree.job).toEqual(viaMethod.job);
    expect(Object.keys(client.jobs).sort()).toEqual(["cancel", "createToken", "get", "list", "submit", "submitAndWait", "types", "wait", "watch", "watchMany"]);
  });

  it("rejects something that is not a client with a TypeError", async () => {
    await expect(submit({} as BaseClient, { type: "conformance.echo", input: {} })).rejects.toThrow(TypeError);
  });
});

describe("configuration from the environment (ASYNC_JOBS_BASE_URL, ASYNC_JOBS_TOKEN)", () => {
  afterEach(() => vi.unstubAllEnvs());

  it("createClient() with no options reads both variables", async () => {
    vi.stubEnv("ASYNC_JOBS_BASE_URL", base);
    vi.stubEnv("ASYNC_JOBS_TOKEN", "from-env");
    let auth: string | null = null;
    server.use(http.get(`${base}/v1/jobs/job_1`, ({ request }) => ((auth = request.headers.get("authorization")), HttpResponse.json(makeJob()))));
    await createClient().jobs.get("job_1");
    expect(auth).toBe("Bearer from-env");
  });

  it("createClient() with no token in the environment fails at once, naming the variable", () => {
    vi.stubEnv("ASYNC_JOBS_BASE_URL", base);
    vi.stubEnv("ASYNC_JOBS_TOKEN", "");
    expect(() => createClient()).toThrow(/ASYNC_JOBS_TOKEN/);
    expect(() => createBaseClient()).toThrow(TypeError);
  });

  it("createClient() with no base URL anywhere names ASYNC_JOBS_BASE_URL", () => {
    vi.stubEnv("ASYNC_JOBS_BASE_URL", "");
    vi.stubEnv("ASYNC_JOBS_TOKEN", "t");
    expect(() => createClient()).toThrow(/ASYNC_JOBS_BASE_URL/);
  });

  it("explicit options win, and the environment fills only what they leave out", async () => {
    vi.stubEnv("ASYNC_JOBS_BASE_URL", "http://wrong.test");
    vi.stubEnv("ASYNC_JOBS_TOKEN", "from-env");
    const seen: Request[] = [];
    const fetch = async (input: RequestInfo | URL) => (seen.push(input as Request), Response.json(makeJob()));
    await createClient({ baseUrl: base, fetch }).jobs.get("job_1");
    await createClient({ baseUrl: base, token: "explicit", fetch }).jobs.get("job_1");
    await createClient({ baseUrl: base, getToken: () => "fresh", fetch }).jobs.get("job_1");
    expect(seen.map((r) => [new URL(r.url).origin, r.headers.get("authorization")])).toEqual([
      [new URL(base).origin, "Bearer from-env"],
      [new URL(base).origin, "Bearer explicit"],
      [new URL(base).origin, "Bearer fresh"],
    ]);
  });
});

describe(".withResponse() and ky hooks", () => {
  const answer = () =>
    Response.json(makeJob(), { headers: { "x-request-id": "req_7", ratelimit: '"default";r=41;t=9', etag: '"1"' } });

  it("every promise-returning method also gives the last answer it read", async () => {
    const client = createClient({ baseUrl: base, fetch: async () => answer() });
    const { data, response } = await client.jobs.get("job_1").withResponse();
    expect(data.id).toBe("job_1");
    expect(response.status).toBe(200);
    expect(response.headers.get("x-request-id")).toBe("req_7");
    expect(response.headers.get("ratelimit")).toBe('"default";r=41;t=9');
    // Still a plain promise of the data.
    expect((await client.jobs.get("job_1")).id).toBe("job_1");
    const cancel = await client.jobs.cancel("job_1").withResponse();
    expect(cancel.response.headers.get("x-request-id")).toBe("req_7");
  });

  it("passes hooks to ky: beforeRequest sets auth, afterResponse logs, beforeRetry sees each retry", async () => {
    const log: string[] = [];
    let calls = 0;
    const client = createClient({
      baseUrl: base,
      clock: { now: () => Date.now(), random: () => 0, sleep: async () => {} },
      fetch: async (input) => {
        calls++;
        const request = input as Request;
        log.push(`sent ${request.headers.get("authorization")}`);
        return calls === 1 ? new Response(null, { status: 503 }) : answer();
      },
      hooks: {
        beforeRequest: [(request) => request.headers.set("authorization", "Bearer hooked")],
        afterResponse: [(request, _options, response) => void log.push(`${request.method} ${response.status}`)],
        beforeRetry: [({ retryCount }) => void log.push(`retry ${retryCount}`)],
      },
    });
    await client.jobs.get("job_1");
    expect(log).toEqual(["sent Bearer hooked", "GET 503", "retry 1", "sent Bearer hooked", "GET 200"]);
  });
});

describe("types (checked by tsc -p tsconfig.node.json)", () => {
  const client = createClient({ baseUrl: base });
  type MyJobTypes = BuiltInJobTypes & { "report.render": { input: { pages: number }; result: { url: string } } };
  const mine = createClient<MyJobTypes>({ baseUrl: base });

  it("types submitAndWait's result by job type", () => {
    expectTypeOf(client).toExtend<AsyncJobsClient<BuiltInJobTypes>>();
    expectTypeOf(client.jobs.submitAndWait<"file.checksum">).returns.resolves.toHaveProperty("result").toEqualTypeOf<ChecksumResult>();
    expectTypeOf(client.jobs.submitAndWait<"file.gzip">).returns.resolves.toHaveProperty("result").toEqualTypeOf<GzipResult>();
    expectTypeOf(client.jobs.submitAndWait<"conformance.echo">).returns.resolves.toHaveProperty("result").toEqualTypeOf<EchoResult>();
    // The input is typed too: a wrong field is a compile error.
    expectTypeOf(client.jobs.submitAndWait<"file.checksum">).parameter(0).toHaveProperty("input").toEqualTypeOf<ChecksumInput>();
    // @ts-expect-error unknown job type for the built-in map
    void (() => client.jobs.submit({ type: "nope", input: {} }));
  });

  it("types a custom job type map given to createClient<MyJobTypes>()", () => {
    expectTypeOf(mine.jobs.submitAndWait<"report.render">).returns.resolves.toHaveProperty("result").toEqualTypeOf<{ url: string }>();
    expectTypeOf(mine.jobs.submit<"report.render">).parameter(0).toHaveProperty("input").toEqualTypeOf<{ pages: number }>();
    // @ts-expect-error pages must be a number
    void (() => mine.jobs.submit({ type: "report.render", input: { pages: "40" } }));
    // the free functions infer the map from the client
    const base2: BaseClient<MyJobTypes> = createBaseClient<MyJobTypes>({ baseUrl: base });
    const submitReport = () => submit(base2, { type: "report.render", input: { pages: 1 } });
    expectTypeOf(submitReport).returns.resolves.toHaveProperty("job").toHaveProperty("input").toEqualTypeOf<{ pages: number }>();
  });

  it("a job from get() is a union discriminated on type", async () => {
    server.use(http.get(`${base}/v1/jobs/job_1`, () => HttpResponse.json(makeJob({ type: "file.checksum", result: { sha256: "a", size: 1 } }))));
    const job = await client.jobs.get("job_1");
    if (job.type === "file.checksum") expectTypeOf(job.result).toEqualTypeOf<ChecksumResult | null>();
    expect(job.type).toBe("file.checksum");
  });
});
