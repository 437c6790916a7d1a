import { createJobsMock } from "async-jobs/msw";
import { http, HttpResponse } from "msw";
import { setupServer } from "msw/node";
import { afterAll, beforeAll, expect, it } from "vitest";
import { runSmoke } from "../client/runtime/smoke.ts";

// The SDK engineer's runtime smoke suite (test/client/runtime/smoke.ts, a reusable function over
// a base URL), run unchanged against the msw mock. Its "flaky" URL is an msw handler in front of
// the same mock that answers 503 to the first request of each path, like the fault proxy does.
const mock = createJobsMock({ baseUrl: "http://jobs.test", time: "manual" });
const seen = new Set<string>();
const flaky = http.all("http://flaky.jobs.test/*", async ({ request }) => {
  const url = new URL(request.url);
  if (!seen.has(url.pathname)) {
    seen.add(url.pathname);
    return HttpResponse.json(
      { type: "https://async-jobs.dev/problems/overloaded", title: "Overloaded", status: 503, detail: "flaky", code: "overloaded" },
      { status: 503, headers: { "retry-after": "0", "content-type": "application/problem+json" } },
    );
  }
  return fetch(new Request(`http://jobs.test${url.pathname}${url.search}`, request));
});
const server = setupServer(...mock.handlers, flaky);
// Time-lapse: virtual time runs 10× faster than real time, so waits stay realistic but short.
let ticker: ReturnType<typeof setInterval>;
beforeAll(() => {
  server.listen({ onUnhandledRequest: "error" });
  ticker = setInterval(() => mock.advance(100), 10);
});
afterAll(() => {
  clearInterval(ticker);
  server.close();
});

it("the SDK smoke suite passes against the mock", async () => {
  const { checks } = await runSmoke({ url: "http://jobs.test", flakyUrl: "http://flaky.jobs.test", token: "smoke" });
  expect(checks).toHaveLength(7);
  // The abort check used cancelOnAbort: the mock saw the cancel.
  expect(mock.jobs().some((j) => j.status === "canceled" || j.cancel_requested)).toBe(true);
});
