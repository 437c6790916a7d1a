import type { BaseClient } from "../client/create-base-client.ts";
import { request } from "../internal/request.ts";
import type { JobTypeMap, ScopedToken } from "../types.ts";

/** Options of `createJobToken`. */
export interface CreateJobTokenOptions {
  /** The token may also cancel the jobs. @default false */
  cancel?: boolean | undefined;
  /** Lifetime in seconds, at most 3600 (spec §8.3). @default 900 (the server's default) */
  ttlSeconds?: number | undefined;
  /** Aborts the request. */
  signal?: AbortSignal | undefined;
}

/**
 * Mints a short-lived token that can only read and watch these jobs (and cancel them with
 * `cancel`), for a browser (spec §8.3, `POST /v1/tokens`). Call it on your backend with the
 * tenant token; give the page only `token`. Minting is not retried (a POST, spec §6): on a
 * network failure simply mint again.
 *
 * @example
 * const { token } = await createJobToken(client, [jobA.id, jobB.id], { ttlSeconds: 600 })
 * // in the page: createClient({ baseUrl, token }).jobs.watchMany({ ids: [jobA.id, jobB.id] })
 */
export async function createJobToken<T extends JobTypeMap>(
  client: BaseClient<T>,
  ids: string | readonly string[],
  options: CreateJobTokenOptions = {},
): Promise<ScopedToken> {
  const jobs = typeof ids === "string" ? [ids] : [...ids];
  const { data } = await request(
    client,
    (api, init) =>
      // JSON leaves out what is undefined: the server's defaults apply.
      api.POST("/v1/tokens", { ...init, body: { jobs, cancel: options.cancel || undefined, ttl_seconds: options.ttlSeconds } }),
    { signal: options.signal },
  );
  return data;
}
