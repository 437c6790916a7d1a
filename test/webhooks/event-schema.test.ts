// parseJobEvent, the hand-written payload validator (decision 0005): each field broken in
// turn is refused with its path, extra fields pass, and two properties (fast-check) over
// events built from the contract's types: every valid event passes, every single-field
// corruption of a JSON type fails at that field.
import fc from "fast-check";
import { describe, expect, expectTypeOf, it } from "vitest";
import { parseJobEvent, WebhookVerificationError, type JobEvent } from "async-jobs/webhooks";
import type { Job, JobCommon, JobEventType, JobStatus, Problem } from "async-jobs/types";
import { events } from "./fixtures.ts";

type Json = unknown;

/** A deep copy of `event` with `path` set to `value` (`undefined` deletes the key). */
function withField(event: Json, path: string, value: unknown): Json {
  const copy = JSON.parse(JSON.stringify(event)) as Record<string, unknown>;
  const keys = path.split(".");
  let parent = copy;
  for (const key of keys.slice(0, -1)) parent = parent[key] as Record<string, unknown>;
  parent[keys.at(-1)!] = value;
  return JSON.parse(JSON.stringify(copy));
}

/** The message parseJobEvent throws for `value`, or "ok". */
function verdict(value: Json): string {
  try {
    parseJobEvent(value);
    return "ok";
  } catch (error) {
    expect(error).toBeInstanceOf(WebhookVerificationError);
    expect((error as WebhookVerificationError).reason).toBe("invalid_payload");
    return (error as Error).message;
  }
}

const succeeded = events["job.succeeded"]; // progress, webhook set; error null
const failed = events["job.failed"]; // error set; progress null

describe("parseJobEvent types ↔ contract (src/types.ts)", () => {
  it("takes unknown JSON and returns the contract's JobEvent", () => {
    expectTypeOf(parseJobEvent).parameter(0).toBeUnknown();
    expectTypeOf(parseJobEvent).returns.toEqualTypeOf<JobEvent>();
    expectTypeOf<JobEvent["data"]>().toEqualTypeOf<Job>();
  });

  it("accepts the fixtures (contract-typed events) and returns them untouched", () => {
    for (const event of Object.values(events)) expect(parseJobEvent(event)).toBe(event);
  });
});

describe("each field broken in turn → invalid_payload naming its path", () => {
  // Typed by the contract: a new Job field does not compile until it has rows here.
  const jobRows: { [K in keyof JobCommon]-?: [bad: unknown, message: string][] } = {
    id: [[1, "data.id must be a string"], [undefined, "data.id must be a string"]],
    type: [[null, "data.type must be a string"]],
    status: [
      ["done", "data.status must be one of queued, running, succeeded, failed, canceled"],
      ["failed", 'data.status must be "succeeded" in a job.succeeded event'],
      ["running", 'data.status must be "succeeded" in a job.succeeded event'],
    ],
    input: [[undefined, "data.input must be present"]],
    metadata: [
      [{ a: 1 }, "data.metadata.a must be a string"],
      [{ a: "x", b: null }, "data.metadata.b must be a string"],
      [["x"], "data.metadata must be an object"],
      [null, "data.metadata must be an object"],
    ],
    progress: [
      ["50%", "data.progress must be an object or null"],
      [undefined, "data.progress must be an object or null"],
      [{ percent: 101, message: null }, "data.progress.percent must be a number from 0 to 100"],
      [{ percent: -1, message: null }, "data.progress.percent must be a number from 0 to 100"],
      [{ percent: "50", message: null }, "data.progress.percent must be a number from 0 to 100"],
      [{ percent: 50 }, "data.progress.message must be a string or null"],
      [{ percent: 50, message: 7 }, "data.progress.message must be a string or null"],
    ],
    attempt: [
      [1.5, "data.attempt must be an integer ≥ 0"],
      [-1, "data.attempt must be an integer ≥ 0"],
      ["1", "data.attempt must be an integer ≥ 0"],
    ],
    max_attempts: [
      [0, "data.max_attempts must be an integer ≥ 1"],
      [null, "data.max_attempts must be an integer ≥ 1"],
    ],
    result: [[undefined, "data.result must be present"]],
    error: [
      ["boom", "data.error must be an object or null"],
      [{ type: "about:blank", title: "x", status: 500 }, "data.error.code must be a string"],
      [{ code: 42 }, "data.error.code must be a string"],
    ],
    cancel_requested: [
      ["false", "data.cancel_requested must be a boolean"],
      [0, "data.cancel_requested must be a boolean"],
    ],
    webhook: [
      ["https://example.com", "data.webhook must be an object or null"],
      [{}, "data.webhook.url must be a string"],
    ],
    created_at: [[null, "data.created_at must be a string"]],
    updated_at: [[1767323046, "data.updated_at must be a string"]],
    started_at: [[false, "data.started_at must be a string or null"]],
    completed_at: [[undefined, "data.completed_at must be a string or null"]],
    expires_at: [[{}, "data.expires_at must be a string"]],
  };

  it.each(
    Object.entries(jobRows).flatMap(([field, rows]) =>
      rows.map(([bad, message]) => [`data.${field}`, JSON.stringify(bad) ?? "absent", bad, message] as const),
    ),
  )("%s = %s", (path, _, bad, message) => {
    expect(verdict(withField(succeeded, path, bad))).toBe(message);
  });

  it.each([
    ["type", "job.exploded", "type must be one of job.started, job.progress, job.succeeded, job.failed, job.canceled"],
    ["type", undefined, "type must be one of job.started, job.progress, job.succeeded, job.failed, job.canceled"],
    ["timestamp", 1767323046, "timestamp must be an RFC 3339 date-time"],
    ["timestamp", "2026-13-02T03:04:06Z", "timestamp must be an RFC 3339 date-time"],
    ["timestamp", "2026-01-02T24:00:00Z", "timestamp must be an RFC 3339 date-time"],
    ["timestamp", "2026-01-02T03:04:06", "timestamp must be an RFC 3339 date-time"],
    ["data", undefined, "data must be an object"],
    ["data", [], "data must be an object"],
  ])("the envelope's %s = %j", (path, bad, message) => {
    expect(verdict(withField(succeeded, path, bad))).toBe(message);
  });

  it.each([42, null, [], "{}", true])("a body that is not an object (%j)", (body) => {
    expect(verdict(body)).toBe("The event must be an object");
  });

  it("matches each event type with its status", () => {
    expect(verdict(withField(failed, "type", "job.canceled"))).toBe('data.status must be "canceled" in a job.canceled event');
    expect(verdict(withField(failed, "data.status", "succeeded"))).toBe('data.status must be "failed" in a job.failed event');
    // job.started and job.progress carry a running job (spec §3.1.1).
    expect(verdict(withField(failed, "type", "job.started"))).toBe('data.status must be "running" in a job.started event');
    expect(verdict(withField(events["job.progress"] as unknown as Json, "data.status", "succeeded"))).toBe('data.status must be "running" in a job.progress event');
    expect(verdict(events["job.started"] as unknown as Json)).toBe("ok");
  });

  it("accepts every RFC 3339 spelling: offsets, fractions, lower-case t and z, a leap second", () => {
    for (const time of ["2026-01-02T03:04:06Z", "2026-01-02T03:04:06.123456+05:30", "2026-01-02t03:04:06z", "2016-12-31T23:59:60Z", "2026-01-02T03:04:06-00:00"]) {
      expect(verdict(withField(succeeded, "timestamp", time)), time).toBe("ok");
    }
  });
});

describe("forward compatibility", () => {
  it("accepts and keeps unknown fields at every level", () => {
    const sent = {
      ...failed,
      api_version: "2027-01-01",
      data: {
        ...failed.data,
        priority: 5,
        progress: { percent: 0, message: null, eta_ms: 10 },
        error: { ...failed.data.error!, retryable: false },
        webhook: { url: "https://example.com/h", secret_id: "s1" },
      },
    };
    const event = parseJobEvent(JSON.parse(JSON.stringify(sent)));
    expect(event).toEqual(sent);
  });

  it("null and any JSON value are fine for input and result", () => {
    for (const value of [null, 0, "", [], { a: [1] }]) {
      expect(verdict(withField(withField(succeeded, "data.input", value), "data.result", value))).toBe("ok");
    }
  });
});

// Arbitraries built from the contract's types: the compiler checks they produce JobEvents.
const timeArb = fc
  .tuple(
    fc.date({ min: new Date("0001-01-01T00:00:00Z"), max: new Date("9999-12-31T23:59:59Z"), noInvalidDate: true }),
    fc.constantFrom("Z", "z", "+00:00", "+05:30", "-11:00"),
    fc.boolean(),
  )
  .map(([date, zone, fraction]) => date.toISOString().replace(fraction ? /Z$/ : /\.\d+Z$/, zone));

const json = fc.jsonValue({ maxDepth: 1 });

const problemArb: fc.Arbitrary<Problem> = fc.record(
  { type: fc.string(), title: fc.string(), status: fc.integer({ min: 400, max: 599 }), detail: fc.string(), code: fc.string() },
  { requiredKeys: ["type", "title", "status", "code"] },
);

const eventArb: fc.Arbitrary<JobEvent> = fc
  .constantFrom<JobEventType>("job.started", "job.progress", "job.succeeded", "job.failed", "job.canceled")
  .chain((type) =>
    fc.record({
      type: fc.constant(type),
      timestamp: timeArb,
      data: fc.record({
        id: fc.string(),
        type: fc.string(),
        status: fc.constant((type === "job.started" || type === "job.progress" ? "running" : type.slice(4)) as JobStatus),
        input: json,
        metadata: fc.dictionary(fc.string(), fc.string()),
        progress: fc.option(fc.record({ percent: fc.double({ min: 0, max: 100, noNaN: true }), message: fc.option(fc.string()) })),
        attempt: fc.nat(),
        max_attempts: fc.integer({ min: 1, max: 1000 }),
        result: json,
        error: fc.option(problemArb),
        cancel_requested: fc.boolean(),
        webhook: fc.option(fc.record({ url: fc.string().map((path) => `https://example.com/${encodeURIComponent(path)}`) })),
        created_at: timeArb,
        updated_at: timeArb,
        started_at: fc.option(timeArb),
        completed_at: fc.option(timeArb),
        expires_at: timeArb,
      }),
    }),
  );

// Every field the validator types, with the JSON kinds it allows.
type Kind = "string" | "number" | "boolean" | "null" | "object" | "array" | "absent";
const fields: Record<string, Kind[]> = {
  type: ["string"],
  timestamp: ["string"],
  data: ["object"],
  "data.id": ["string"],
  "data.type": ["string"],
  "data.status": ["string"],
  "data.metadata": ["object"],
  "data.metadata.label": ["string", "absent"],
  "data.progress": ["object", "null"],
  "data.progress.percent": ["number"],
  "data.progress.message": ["string", "null"],
  "data.attempt": ["number"],
  "data.max_attempts": ["number"],
  "data.error": ["object", "null"],
  "data.error.code": ["string"],
  "data.cancel_requested": ["boolean"],
  "data.webhook": ["object", "null"],
  "data.webhook.url": ["string"],
  "data.created_at": ["string"],
  "data.updated_at": ["string"],
  "data.started_at": ["string", "null"],
  "data.completed_at": ["string", "null"],
  "data.expires_at": ["string"],
};
const kinds: Record<Kind, fc.Arbitrary<unknown>> = {
  string: fc.string(),
  number: fc.double({ noNaN: true, noDefaultInfinity: true }),
  boolean: fc.boolean(),
  null: fc.constant(null),
  object: fc.dictionary(fc.string(), json, { maxKeys: 3 }),
  array: fc.array(json, { maxLength: 3 }),
  absent: fc.constant(undefined),
};
// Nested fields need their parent present: a null progress, error or webhook gets a valid one.
const validParents: Record<string, unknown> = {
  "data.progress": { percent: 50, message: null },
  "data.error": { type: "about:blank", title: "Failed", status: 500, code: "boom" },
  "data.webhook": { url: "https://example.com/h" },
};

describe("properties (fast-check)", () => {
  it("any valid event passes and comes back as it was sent", () => {
    fc.assert(
      fc.property(eventArb, (event) => {
        const received = JSON.parse(JSON.stringify(event)) as unknown;
        expect(parseJobEvent(received)).toBe(received);
      }),
      { numRuns: 200 },
    );
  });

  it("any single field given a JSON type it does not allow fails, naming that field", () => {
    const corruption = fc.constantFrom(...Object.keys(fields)).chain((path) =>
      fc
        .constantFrom(...(Object.keys(kinds) as Kind[]).filter((k) => !fields[path]!.includes(k)))
        .chain((kind) => kinds[kind].map((bad) => ({ path, bad }))),
    );
    fc.assert(
      fc.property(eventArb, corruption, (event, { path, bad }) => {
        let sent: Json = event;
        const parent = path.split(".").slice(0, -1).join(".");
        if (validParents[parent] && (event.data as Record<string, unknown>)[parent.slice(5)] === null) {
          sent = withField(sent, parent, validParents[parent]);
        }
        expect(verdict(withField(sent, path, bad))).toMatch(new RegExp(`^${path.replaceAll(".", "\\.")} must be `));
      }),
      { numRuns: 400 },
    );
  });
});
