import type { BaseClient } from "../client/create-base-client.ts";
import { createIdempotencyKey } from "../internal/idempotency-key.ts";
import { formatIdempotencyKey } from "../protocol/idempotency-key.ts";
import { formatWaitPreference } from "../protocol/prefer.ts";
import { parseRetryAfter } from "../internal/retry-after.ts";
import { request } from "../internal/request.ts";
import type { JobTypeMap } from "../types.ts";
import type { JobRequest, JobTypeName, TypedJob } from "./typed-job.ts";
import { validateInput } from "./validate-job.ts";

/** Options of `submit`. */
export interface SubmitOptions {
  /**
   * The idempotency key of this logical submit, reused on every retry (spec §2). Pass your
   * own (e.g. a hash of the file and parameters) to make a submit idempotent across processes.
   * @default crypto.randomUUID()
   */
  idempotencyKey?: string | undefined;
  /**
   * Ask the server to hold the answer up to this many seconds (`Prefer: wait=N`), so a fast job
   * comes back finished in one round trip. `0` asks for nothing.
   * @default 0
   */
  waitSeconds?: number | undefined;
  /** Aborts the submit (and its retries). */
  signal?: AbortSignal | undefined;
  /** Sent as `X-Request-Id`. */
  requestId?: string | undefined;
}

/**
 * What a submit returned.
 *
 * @example
 * const { job, replayed } = await submit(client, req)
 */
export interface Submission<T extends JobTypeMap, K extends JobTypeName<T>> {
  /** The job as the server answered (terminal only when `Prefer: wait` let it finish). */
  job: TypedJob<T, K>;
  /** `true` when the server replayed an earlier submit with the same key (`Idempotent-Replayed`). */
  replayed: boolean;
  /** The key that was sent; keep it to re-submit safely after a crash. */
  idempotencyKey: string;
  /** The server's `Retry-After`: when to look first, in milliseconds. */
  retryAfterMs: number | undefined;
}

/**
 * Submits a job with an `Idempotency-Key` (one per call, reused on each retry, so a retried
 * submit never creates a second job). Resolves when the job is durably stored (`202`), or with
 * the finished job when `waitSeconds` let it finish.
 *
 * @example
 * const { job } = await submit(client, { type: "conformance.echo", input: { value: "hi" } })
 */
export async function submit<T extends JobTypeMap, K extends JobTypeName<T>>(
  client: BaseClient<T>,
  job: JobRequest<T, K>,
  options: SubmitOptions = {},
): Promise<Submission<T, K>> {
  await validateInput(client, job);
  const idempotencyKey = options.idempotencyKey ?? createIdempotencyKey();
  const header: Record<string, string> = { "idempotency-key": formatIdempotencyKey(idempotencyKey) };
  const waitSeconds = Math.floor(options.waitSeconds ?? 0);
  if (waitSeconds > 0) header.prefer = formatWaitPreference(waitSeconds);
  if (options.requestId) header["x-request-id"] = options.requestId;
  const timeoutMs = client["~transport"].options.timeoutMs;
  const { data, response } = await request(
    client,
    (api, init) => api.POST("/v1/jobs", { ...init, params: { header }, body: job }),
    { signal: options.signal, timeoutMs: timeoutMs + waitSeconds * 1000 },
  );
  return {
    job: data as unknown as TypedJob<T, K>,
    replayed: response.headers.get("idempotent-replayed") === "true",
    idempotencyKey,
    retryAfterMs: parseRetryAfter(response.headers),
  };
}
