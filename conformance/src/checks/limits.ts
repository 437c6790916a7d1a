import { expectProblem, expectRetryAfter, expectStatus } from "../assertions.ts";
import { type Check, expect, skip } from "../check.ts";
import type { HttpResponse } from "../http-recorder.ts";
import { submitJob } from "../job-helpers.ts";

/**
 * spec §1 back-pressure: what a server that limits submits must answer. Its limits are its
 * policy; the run is told them (`--rate-limit N/Ws`), else the check skips.
 *
 * @example
 * await runConformance({ baseUrl, token, rateLimit: { limit: 5, windowS: 1 }, checks: limitChecks });
 */
export const limitChecks: Check[] = [
  {
    id: "limits.rate-limited",
    clause: "§1 Overload and rate limits",
    level: "MUST",
    title: "Submits past the tenant's rate limit: 429 rate_limited with an integer Retry-After",
    needs: ["echo", "rate-limit"],
    exclusive: true,
    timeoutMs: 30_000,
    async run(ctx) {
      const { limit, windowS } = ctx.settings.rateLimit!;
      // At most two windows can be touched: 2N + 1 submits must meet a refusal, if sent fast enough.
      const started = Date.now();
      let refused: HttpResponse | undefined;
      for (let i = 0; i <= 2 * limit && !refused; i++) {
        const res = await submitJob(ctx, { type: "conformance.echo", input: { duration_ms: 0 } });
        if (res.status === 429) refused = res;
        else expectStatus(res, 202, `submit ${i + 1} of at most ${2 * limit + 1}`);
      }
      if (!refused) {
        if (Date.now() - started > windowS * 1000) skip(`${2 * limit + 1} submits took longer than the ${windowS} s window: the limit could not be reached`);
        expect(false, `${2 * limit + 1} submits within ${windowS} s, none refused: the limit of ${limit} per ${windowS} s is not enforced`);
        return;
      }
      expectProblem(refused, 429, "rate_limited", "the submit past the limit");
      const seconds = expectRetryAfter(refused, "429 rate_limited");
      expect(seconds <= Math.ceil(windowS), `Retry-After ${seconds} s is longer than the ${windowS} s window`, refused.exchange);
      // The quota comes back: wait out Retry-After, then a submit is accepted again.
      if (seconds > 20) return void ctx.note(`Retry-After ${seconds} s is too long to wait out; the quota's return was not checked`);
      await ctx.sleep(seconds * 1000 + 100, { unscaled: true });
      const again = await submitJob(ctx, { type: "conformance.echo", input: { duration_ms: 0 } });
      expectStatus(again, 202, `a submit after Retry-After (${seconds} s)`);
    },
  },
  {
    id: "limits.ratelimit-fields",
    clause: "§1 Overload and rate limits, §8 Back-pressure and rate-limit headers",
    level: "SHOULD",
    title: "While a rate limit applies, answers carry RateLimit-Policy and RateLimit; a 429's reset is its Retry-After",
    needs: ["echo", "rate-limit"],
    exclusive: true,
    timeoutMs: 30_000,
    async run(ctx) {
      const { limit } = ctx.settings.rateLimit!;
      // Structured Fields items: "name" or token, then ;key=value parameters (draft-ietf-httpapi-ratelimit-headers).
      const item = /^\s*(?:"[^"]*"|[A-Za-z*][^"=;,\s]*)((?:\s*;\s*[a-z*][\w.*-]*=[^;,]+)*)\s*(?:,|$)/;
      const param = (value: string | null, key: string) => {
        const match = value === null ? null : item.exec(value);
        const found = match?.[1]!.split(";").map((p) => p.trim().split("=")).find(([k]) => k === key);
        return found && /^\d+$/.test(found[1]!) ? Number(found[1]) : undefined;
      };
      let refused: HttpResponse | undefined;
      for (let i = 0; i <= 2 * limit && !refused; i++) {
        const res = await submitJob(ctx, { type: "conformance.echo", input: { duration_ms: 0 } });
        if (i === 0) {
          expect(param(res.headers.get("ratelimit-policy"), "q") !== undefined, `RateLimit-Policy with a quota q is missing or malformed: ${JSON.stringify(res.headers.get("ratelimit-policy"))}`, res.exchange);
          expect(param(res.headers.get("ratelimit"), "r") !== undefined, `RateLimit with the units left r is missing or malformed: ${JSON.stringify(res.headers.get("ratelimit"))}`, res.exchange);
        }
        if (res.status === 429) refused = res;
      }
      if (!refused) skip("no 429 met (see limits.rate-limited)");
      const retryAfter = expectRetryAfter(refused, "429 rate_limited");
      const reset = param(refused.headers.get("ratelimit"), "t");
      expect(param(refused.headers.get("ratelimit"), "r") === 0, `a 429's RateLimit should say r=0, got ${JSON.stringify(refused.headers.get("ratelimit"))}`, refused.exchange);
      expect(reset === undefined || reset === retryAfter, `RateLimit's reset t=${reset} and Retry-After ${retryAfter} should name the same moment`, refused.exchange);
      if (retryAfter <= 20) await ctx.sleep(retryAfter * 1000 + 100, { unscaled: true });
    },
  },
];
