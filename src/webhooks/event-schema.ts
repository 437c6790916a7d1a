import { WebhookVerificationError } from "../errors.ts";
import { webhookEventTypes } from "../protocol/webhook-events.ts";
import type { JobCommon, JobEvent } from "../types.ts";

// A hand-written validator of what spec §2/§3 promise, not zod: zod/mini's floor alone
// (4.4 KB min+gzip) is over the entry's 4 KB budget, and it halved verifyWebhook's throughput
// (docs/decisions/0005). The types come from src/types.ts (generated from openapi.yaml); the
// `satisfies` below and test/webhooks/event-schema.test.ts keep the two in step. Unknown fields
// pass through untouched, so a newer server's additions do not break older receivers.

// A check answers undefined when the value is fine, else the failure as a path suffix:
// ".progress.percent must be …". Paths are built only on failure (no work on the hot path).
type Check = (value: unknown) => string | undefined;

const must = (test: (value: unknown) => boolean, expected: string): Check => (value) =>
  test(value) ? undefined : ` must be ${expected}`;

const isObject = (value: unknown): value is Record<string, unknown> =>
  typeof value === "object" && value !== null && !Array.isArray(value);

const nullable = (check: Check): Check => (value) => {
  const failure = value === null ? undefined : check(value);
  return failure?.startsWith(" must") ? `${failure} or null` : failure;
};

const object = (shape: Record<string, Check>): Check => {
  const checks = Object.entries(shape); // an array walks faster than for-in on the hot path
  return (value) => {
    if (!isObject(value)) return " must be an object";
    for (const [key, check] of checks) {
      const failure = check(value[key]);
      if (failure) return `.${key}${failure}`;
    }
    return undefined;
  };
};

const oneOf = (...values: string[]): Check =>
  must((value) => values.includes(value as string), `one of ${values.join(", ")}`);

const string = must((value) => typeof value === "string", "a string");

// RFC 3339 date-time (spec §1), for the event's timestamp. The job's own times are checked
// as strings only: five more regex runs would add about half again to the validation time.
const time = must(
  (value) =>
    typeof value === "string" &&
    /^\d{4}-(?:0[1-9]|1[0-2])-(?:0[1-9]|[12]\d|3[01])[Tt](?:[01]\d|2[0-3]):[0-5]\d:(?:[0-5]\d|60)(?:\.\d+)?(?:[Zz]|[+-](?:[01]\d|2[0-3]):[0-5]\d)$/.test(value),
  "an RFC 3339 date-time",
);

const integer = (min: number) =>
  must((value) => Number.isInteger(value) && (value as number) >= min, `an integer ≥ ${min}`);

// openapi.yaml lists input and result as required; any JSON value (null too) is fine.
const present = must((value) => value !== undefined, "present");

const job = object({
  id: string,
  type: string,
  status: oneOf("queued", "running", "succeeded", "failed", "canceled"),
  input: present,
  metadata: (value) => {
    if (!isObject(value)) return " must be an object";
    for (const key in value) if (typeof value[key] !== "string") return `.${key} must be a string`;
    return undefined;
  },
  progress: nullable(
    object({
      percent: must(
        (value) => typeof value === "number" && value >= 0 && value <= 100,
        "a number from 0 to 100",
      ),
      message: nullable(string),
    }),
  ),
  attempt: integer(0),
  max_attempts: integer(1),
  result: present,
  error: nullable(object({ code: string })),
  cancel_requested: must((value) => typeof value === "boolean", "a boolean"),
  webhook: nullable(object({ url: string })),
  created_at: string,
  updated_at: string,
  started_at: nullable(string),
  completed_at: nullable(string),
  expires_at: string,
} satisfies { [K in keyof JobCommon]-?: Check }); // every Job field, and only those

const event = object({
  type: oneOf(...webhookEventTypes),
  timestamp: time,
  data: job,
});

/**
 * Checks that a parsed webhook body is a job event (spec §3, §3.1.1) and returns it, typed and
 * untouched (fields a newer server adds are kept). `data.status` must be the one the event's
 * `type` announces. Throws `WebhookVerificationError("invalid_payload")` naming the first bad
 * field, e.g. "data.progress.percent must be a number from 0 to 100". `verifyWebhook` calls it
 * for you; use it directly after `verifyWebhookSignature` (a queue in between, say).
 *
 * @example
 * const event = parseJobEvent(JSON.parse(await verifyWebhookSignature(request, secret)))
 */
export function parseJobEvent(value: unknown): JobEvent {
  let failure = event(value);
  if (!failure) {
    // Discriminated on `type`: a job.failed event carries a failed job (spec §3), a job.started
    // or job.progress one a running job (spec §3.1.1).
    const { type, data } = value as { type: string; data: { status: unknown } };
    const status = type === "job.started" || type === "job.progress" ? "running" : type.slice(4);
    if (data.status !== status) failure = `.data.status must be "${status}" in a ${type} event`;
  }
  if (failure) {
    throw new WebhookVerificationError(
      "invalid_payload",
      failure[0] === "." ? failure.slice(1) : `The event${failure}`,
    );
  }
  return value as JobEvent;
}
