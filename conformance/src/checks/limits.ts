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
    clause: "§1 Rate limits",
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
];
