import * as z from "zod/mini";

// The schema validates what CONTRACT §2/§3 promise; it does not define the types (those come
// from src/types.ts, generated from openapi.yaml). test/webhooks/event-schema.test.ts keeps the
// two consistent. Objects are loose so fields a newer server adds pass through untouched.

const nullable = z.nullable;
const time = z.string();

const problemSchema = z.looseObject({
  type: z.string(),
  title: z.string(),
  status: z.number(),
  detail: z.optional(z.string()),
  instance: z.optional(z.string()),
  code: z.string(),
  errors: z.optional(z.array(z.object({ path: z.string(), message: z.string() }))),
});

/**
 * zod/mini schema of a Job as sent in a webhook event (CONTRACT §2).
 *
 * @example
 * const job = jobSchema.parse(JSON.parse(text))
 */
export const jobSchema = z.looseObject({
  id: z.string(),
  type: z.string(),
  status: z.enum(["queued", "running", "succeeded", "failed", "canceled"]),
  input: z.unknown(),
  metadata: z.record(z.string(), z.string()),
  progress: nullable(
    z.object({
      percent: z.number().check(z.gte(0), z.lte(100)),
      message: nullable(z.string()),
    }),
  ),
  attempt: z.int().check(z.gte(0)),
  max_attempts: z.int().check(z.gte(1)),
  result: z.unknown(),
  error: nullable(problemSchema),
  cancel_requested: z.boolean(),
  webhook: nullable(z.looseObject({ url: z.string() })),
  created_at: time,
  updated_at: time,
  started_at: nullable(time),
  completed_at: nullable(time),
  expires_at: time,
});

/**
 * zod/mini schema of a webhook event body (CONTRACT §3).
 *
 * @example
 * const event = jobEventSchema.parse(JSON.parse(body))
 */
export const jobEventSchema = z.looseObject({
  type: z.enum(["job.succeeded", "job.failed", "job.canceled"]),
  timestamp: time,
  data: jobSchema,
});
