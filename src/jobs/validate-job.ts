import { ResultValidationError } from "../errors.ts";
import type { HasTransport } from "../internal/request.ts";
import type { StandardSchemaV1 } from "./job-type-schemas.ts";

/**
 * Checks `value` against `schema` (any Standard Schema) and returns the schema's output (zod's
 * defaults and transforms applied), or throws `ResultValidationError` whose issues point into
 * the job (`/result/url`). No schema: the value as it came.
 */
async function check(schema: StandardSchemaV1 | undefined, value: unknown, where: string, jobId: string | undefined): Promise<unknown> {
  if (!schema) return value;
  const outcome = await schema["~standard"].validate(value);
  if (!outcome.issues) return outcome.value;
  throw new ResultValidationError(
    jobId,
    outcome.issues.map((issue) => ({
      message: issue.message,
      path: [where, ...(issue.path ?? []).map((p) => String(typeof p === "object" ? p.key : p))].join("/"),
    })),
  );
}

/**
 * A succeeded job with its `result` checked by the schema of its type given to
 * `createClient({ jobTypes })` (unchanged without one). Every wait returns through here.
 *
 * @example
 * const job = await validateResult(client, finished)
 */
export async function validateResult<J extends { id: string; type: string; result: unknown }>(client: HasTransport, job: J): Promise<J> {
  const schema = client["~transport"].options.jobTypes?.[job.type]?.result;
  return schema ? { ...job, result: await check(schema, job.result, "/result", job.id) } : job;
}

/**
 * The input of a submit, checked by its type's `input` schema before anything is sent (a
 * mistake fails here rather than as a `422` after a round trip). The input is sent as given, not
 * as the schema's output: the server applies its own defaults (spec §2).
 *
 * @example
 * await validateInput(client, { type: "report.render", input: { pages: 2 } })
 */
export async function validateInput(client: HasTransport, job: { type: string; input: unknown }): Promise<void> {
  await check(client["~transport"].options.jobTypes?.[job.type]?.input, job.input, "/input", undefined);
}
