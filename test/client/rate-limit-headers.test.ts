import { describe, expect, it } from "vitest";
import { toApiError } from "../../src/internal/to-api-error.ts";

const problem = { type: "about:blank", title: "Rate limited", status: 429, detail: "slow down", code: "rate_limited" };
const errorWith = (headers: Record<string, string>) => toApiError(new Response(null, { status: 429, headers }), problem);

describe("ApiError.rateLimit (draft-ietf-httpapi-ratelimit-headers)", () => {
  it("reads RateLimit and the matching RateLimit-Policy, strings or tokens", async () => {
    expect((await errorWith({ ratelimit: '"submit";r=0;t=12', "ratelimit-policy": '"submit";q=10;w=60' })).rateLimit).toEqual({
      policy: "submit",
      remaining: 0,
      resetSeconds: 12,
      quota: 10,
      windowSeconds: 60,
    });
    expect((await errorWith({ ratelimit: "default;r=5" })).rateLimit).toEqual({ policy: "default", remaining: 5 });
  });

  it("with several policies, reports the one with the fewest units left", async () => {
    const error = await errorWith({
      ratelimit: '"permin";r=20;t=23, "perhr";r=3;t=2402',
      "ratelimit-policy": '"permin";q=50;w=60, "perhr";q=1000;w=3600;comment="a, b"',
    });
    expect(error.rateLimit).toEqual({ policy: "perhr", remaining: 3, resetSeconds: 2402, quota: 1000, windowSeconds: 3600 });
  });

  it("ignores absent or malformed fields", async () => {
    expect((await errorWith({})).rateLimit).toBeUndefined();
    expect((await errorWith({ ratelimit: "r=5, t=3" })).rateLimit).toBeUndefined();
    expect((await errorWith({ ratelimit: '"submit";r=-1' })).rateLimit).toBeUndefined();
    expect((await errorWith({ ratelimit: '"submit;r=1' })).rateLimit).toBeUndefined();
  });
});
