import { createClient, isApiError } from "async-jobs";
import { afterEach, describe, expect, it } from "vitest";
import { ConfigError, loadConfig } from "../../src/config.ts";
import { OTHER_TOKEN, startTestServer, TOKEN, type TestServer } from "../support/test-server.ts";

let t: TestServer | undefined;
afterEach(async () => {
  await t?.close();
  t = undefined;
});

const submit = (token = TOKEN) => t!.request("POST", "/v1/jobs", { token, body: { type: "conformance.echo", input: {} } });

describe("back-pressure (hostile review finding 5)", () => {
  it("a tenant past its submit rate gets 429 rate_limited with Retry-After; RateLimit fields on every answer", async () => {
    // An hour's window: the test cannot straddle a window's end by chance.
    t = await startTestServer(["--submit-rate", "3/3600s"]);
    const answers = [await submit(), await submit(), await submit()];
    expect(answers.map((a) => a.status)).toEqual([202, 202, 202]);
    expect(answers.map((a) => a.headers.get("ratelimit")?.replace(/;t=\d+$/, ""))).toEqual(['"submit";r=2', '"submit";r=1', '"submit";r=0']);
    expect(answers[0]!.headers.get("ratelimit-policy")).toBe('"submit";q=3;w=3600');

    const refused = await submit();
    expect(refused.status).toBe(429);
    expect(refused.body).toMatchObject({ status: 429, code: "rate_limited" });
    const retryAfter = Number(refused.headers.get("retry-after"));
    expect(retryAfter).toBeGreaterThanOrEqual(1);
    expect(retryAfter).toBeLessThanOrEqual(3600);
    // The reset of RateLimit and Retry-After name the same moment.
    expect(refused.headers.get("ratelimit")).toBe(`"submit";r=0;t=${retryAfter}`);

    // Reads are not counted but say where the tenant stands; other tenants have their own quota.
    const list = await t.request("GET", "/v1/jobs");
    expect(list.status).toBe(200);
    expect(list.headers.get("ratelimit")).toMatch(/^"submit";r=0;t=\d+$/);
    expect(list.headers.get("access-control-expose-headers")).toContain("RateLimit");
    expect((await submit(OTHER_TOKEN)).headers.get("ratelimit")).toMatch(/^"submit";r=2;t=\d+$/);
    // An unauthenticated answer has the policy but no tenant's state.
    const anonymous = await t.request("GET", "/v1/jobs", { token: null });
    expect(anonymous.status).toBe(401);
    expect(anonymous.headers.get("ratelimit-policy")).toBe('"submit";q=3;w=3600');
    expect(anonymous.headers.get("ratelimit")).toBeNull();
  });

  it("the SDK exposes the fields on its ApiError", async () => {
    t = await startTestServer(["--submit-rate", "1/3600s"]);
    const client = createClient({ baseUrl: t.url, token: TOKEN, retry: false });
    await client.jobs.submit({ type: "conformance.echo", input: {} });
    const error = await client.jobs.submit({ type: "conformance.echo", input: {} }).catch((e: unknown) => e);
    expect(isApiError(error, "rate_limited")).toBe(true);
    expect((error as { rateLimit?: unknown }).rateLimit).toMatchObject({ policy: "submit", remaining: 0, quota: 1, windowSeconds: 3600 });
    expect((error as { retryAfterMs: number }).retryAfterMs).toBe((error as { rateLimit: { resetSeconds: number } }).rateLimit.resetSeconds * 1000);
  });

  it("a tenant past its queued-jobs cap, or the server past its global one, gets 503 overloaded with Retry-After", async () => {
    // No worker: submitted jobs stay queued.
    t = await startTestServer(["--no-worker", "--max-queued-per-tenant", "2", "--max-queued", "3"]);
    expect([(await submit()).status, (await submit()).status]).toEqual([202, 202]);
    const tenantFull = await submit();
    expect(tenantFull.status).toBe(503);
    expect(tenantFull.body.code).toBe("overloaded");
    expect(Number(tenantFull.headers.get("retry-after"))).toBeGreaterThan(0);
    expect((await submit(OTHER_TOKEN)).status).toBe(202); // globex has room; the server now holds 3
    const serverFull = await submit(OTHER_TOKEN);
    expect(serverFull.status).toBe(503);
    expect(serverFull.body.code).toBe("overloaded");
    expect(serverFull.headers.get("retry-after")).not.toBeNull();
    // No rate configured: no RateLimit fields.
    expect(serverFull.headers.get("ratelimit")).toBeNull();
  });

  it("without limits configured nothing is refused and no RateLimit fields are sent", async () => {
    t = await startTestServer();
    const answers = await Promise.all(Array.from({ length: 20 }, () => submit()));
    expect(answers.every((a) => a.status === 202 && a.headers.get("ratelimit-policy") === null)).toBe(true);
  });

  it("reads --submit-rate N/Ws and the caps; refuses what is not one", () => {
    expect(loadConfig(["serve", "--submit-rate", "10/1s"]).submitRate).toEqual({ limit: 10, windowS: 1 });
    expect(loadConfig(["serve", "--submit-rate", "10/s"]).submitRate).toEqual({ limit: 10, windowS: 1 });
    expect(loadConfig(["serve", "--submit-rate", "600/60s", "--max-queued", "5"])).toMatchObject({ submitRate: { limit: 600, windowS: 60 }, maxQueued: 5 });
    expect(loadConfig(["serve"])).toMatchObject({ submitRate: undefined, maxQueued: undefined, maxQueuedPerTenant: undefined });
    for (const bad of ["10", "0/1s", "10/0s", "ten/s", "10/1m"]) expect(() => loadConfig(["serve", "--submit-rate", bad]), bad).toThrow(ConfigError);
    expect(() => loadConfig(["serve", "--max-queued", "0"])).toThrow(ConfigError);
  });
});
