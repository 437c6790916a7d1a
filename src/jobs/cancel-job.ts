import type { BaseClient } from "../client/create-base-client.ts";
import { request } from "../internal/request.ts";
import type { JobTypeMap } from "../types.ts";
import type { TypedJob } from "./typed-job.ts";

/** Options of `cancelJob`. */
export interface CancelJobOptions {
  /** Aborts the request. */
  signal?: AbortSignal | undefined;
}

/**
 * Cancels a job (`POST /v1/jobs/{id}/cancel`) and returns it: `canceled` at once when it was
 * queued, `cancel_requested: true` while its worker stops. A finished job throws `ApiError`
 * `job_already_terminal`. Like every POST without an `Idempotency-Key`, it is not retried
 * (spec §6); it is safe to call again.
 *
 * @example
 * const job = await cancelJob(client, id)
 */
export async function cancelJob<T extends JobTypeMap>(
  client: BaseClient<T>,
  id: string,
  options: CancelJobOptions = {},
): Promise<TypedJob<T>> {
  const { data } = await request(
    client,
    (api, init) => api.POST("/v1/jobs/{id}/cancel", { ...init, params: { path: { id } } }),
    { signal: options.signal },
  );
  return data as unknown as TypedJob<T>;
}
