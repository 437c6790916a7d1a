import { describe, expect, it } from "vitest";
import { awaitJob, createClient } from "async-jobs";
import { transportOf } from "../../src/internal/transport.ts";
import { putPart } from "../../src/uploads/put-part.ts";
import { makeJob, problem, testBaseUrl as base } from "../helpers/job-fixture.ts";
import { recordingClock } from "./recording-clock.ts";

// Acceptance of issue 16 item 1: ONE retry policy. The same table drives an API call, a part
// PUT and the waiter through every retryable and final answer and both Retry-After forms; each
// path must make the same decision and ask for the same wait, slept once (no double sleep).
// Time is an injected clock and answers come from an injected fetch/transport: no globals.

const start = Date.parse("2026-10-21T07:27:00Z"); // a whole second, so an HTTP date is exact
type Row = {
  name: string;
  answer: () => Response; // "network" rows throw instead
  network?: boolean;
  /** The wait before the one retry, or undefined when the answer is final. */
  wait: number | undefined;
  /** Where spec §6.3 lets a wait outlast what a request would not retry. */
  waiterWait?: number;
};

const answer = (status: number, code: string, headers: Record<string, string> = {}) => () =>
  new Response(JSON.stringify(problem(status, code)), {
    status,
    headers: { "content-type": "application/problem+json", ...headers },
  });
const backoff1 = 250; // first retry: full jitter of 500 ms with random() = 0.5

const rows: Row[] = [
  { name: "network error", answer: () => Response.error(), network: true, wait: backoff1 },
  { name: "408", answer: answer(408, "invalid_request"), wait: backoff1 },
  { name: "409 idempotency_key_in_use", answer: answer(409, "idempotency_key_in_use"), wait: backoff1 },
  { name: "429", answer: answer(429, "rate_limited"), wait: backoff1 },
  { name: "502", answer: answer(502, "internal"), wait: backoff1 },
  { name: "503", answer: answer(503, "overloaded"), wait: backoff1 },
  { name: "504", answer: answer(504, "internal"), wait: backoff1 },
  { name: "429 Retry-After: 2 (seconds)", answer: answer(429, "rate_limited", { "retry-after": "2" }), wait: 2000 },
  {
    name: "503 Retry-After: HTTP date 3 s ahead",
    answer: answer(503, "overloaded", { "retry-after": new Date(start + 3000).toUTCString() }),
    wait: 3000,
  },
  // Over the 60 s cap: surfaced as the error by a request; a wait waits it (spec §6.3).
  { name: "503 Retry-After: 61 (over the cap)", answer: answer(503, "overloaded", { "retry-after": "61" }), wait: undefined, waiterWait: 61_000 },
  { name: "400", answer: answer(400, "invalid_request"), wait: undefined },
  { name: "401", answer: answer(401, "unauthorized"), wait: undefined },
  { name: "403", answer: answer(403, "forbidden"), wait: undefined },
  { name: "404", answer: answer(404, "not_found"), wait: undefined },
  { name: "409 job_already_terminal", answer: answer(409, "job_already_terminal"), wait: undefined },
  { name: "413", answer: answer(413, "payload_too_large"), wait: undefined },
  { name: "422", answer: answer(422, "invalid_input"), wait: undefined },
  // A 500 is a bug, not a transient state (spec §6.2), but does not end a wait (spec §6.3).
  { name: "500", answer: answer(500, "internal"), wait: undefined, waiterWait: backoff1 },
];

/** Fails once with the row's answer, then answers `ok`; counts attempts. */
function firstFails(row: Row, ok: () => Response) {
  let attempts = 0;
  const fetch = async (): Promise<Response> => {
    attempts++;
    if (attempts > 1) return ok();
    if (row.network) throw new TypeError("fetch failed");
    return row.answer();
  };
  return { fetch, attempts: () => attempts };
}

type Observed = { attempts: number; sleeps: number[]; failed: boolean };

async function viaApiCall(row: Row): Promise<Observed> {
  const { clock, sleeps } = recordingClock(0.5, start);
  const server = firstFails(row, () => Response.json(makeJob()));
  const client = createClient({ baseUrl: base, token: "t", fetch: server.fetch, clock });
  const failed = await client.jobs.get("job_1").then(() => false, () => true);
  return { attempts: server.attempts(), sleeps, failed };
}

async function viaPartPut(row: Row): Promise<Observed> {
  const { clock, sleeps } = recordingClock(0.5, start);
  const server = firstFails(row, () => new Response(null, { status: 200, headers: { etag: '"e1"' } }));
  const client = createClient({ baseUrl: base, token: "t", clock });
  const { options, engine } = transportOf(client);
  const failed = await putPart({
    transport: ({ signal }) => (signal.throwIfAborted(), server.fetch()),
    part: { number: 1, size: 1, etag: null, url: `${base}/v1/uploads/upl_1/parts/1?signature=x` },
    body: new Uint8Array(1),
    signal: new AbortController().signal,
    renew: () => Promise.reject(new Error("no renewal expected")),
    retry: { retries: options.retry.limit, stallTimeoutMs: 60_000, policy: options.retry, engine },
  }).then(() => false, () => true);
  return { attempts: server.attempts(), sleeps, failed };
}

async function viaWaiter(row: Row): Promise<Observed> {
  const { clock, sleeps } = recordingClock(0.5, start);
  const server = firstFails(row, () => Response.json(makeJob({ status: "succeeded", result: { ok: true } })));
  const client = createClient({ baseUrl: base, token: "t", fetch: server.fetch, clock });
  const failed = await awaitJob(client, "job_1", { waitSeconds: 0 }).then(() => false, () => true);
  return { attempts: server.attempts(), sleeps, failed };
}

const expected = (wait: number | undefined): Observed =>
  wait === undefined ? { attempts: 1, sleeps: [], failed: true } : { attempts: 2, sleeps: [wait], failed: false };

describe("one retry policy for API calls, part PUTs and the waiter", () => {
  for (const row of rows) {
    it(`${row.name}: ${row.wait === undefined ? "final" : `retried after ${row.wait} ms`}, the same on every path`, async () => {
      const [api, part, waiter] = await Promise.all([viaApiCall(row), viaPartPut(row), viaWaiter(row)]);
      expect(api, "API call").toEqual(expected(row.wait));
      expect(part, "part PUT").toEqual(expected(row.wait));
      expect(waiter, "waiter").toEqual(expected(row.waiterWait ?? row.wait));
    });
  }
});
