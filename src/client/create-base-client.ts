import type { BuiltInJobTypes, JobTypeMap } from "../types.ts";
import { createTransport, type Transport } from "../internal/transport.ts";
import { resolveClientOptions, withEnvironmentDefaults, type ClientOptions } from "./client-options.ts";

/**
 * The smallest client: connection settings and nothing else. Every free function of
 * `async-jobs/jobs` and `async-jobs/uploads` takes one; an app that imports only `awaitJob`
 * bundles only `awaitJob`. `TJobTypes` types `submit` and the jobs it returns.
 *
 * @example
 * const client: BaseClient = createBaseClient({ baseUrl, token })
 */
export interface BaseClient<TJobTypes extends JobTypeMap = BuiltInJobTypes> {
  /** @internal The transport; not part of the public API. */
  readonly "~transport": Transport;
  /** @internal Carries the job type map for inference only; never set at runtime. */
  readonly "~jobTypes"?: TJobTypes;
}

/**
 * Creates a `BaseClient`, for apps that call the free functions of `async-jobs/jobs` directly
 * and want the smallest bundle. `createClient` adds the `jobs` and `uploads` namespaces.
 * Without options it reads `ASYNC_JOBS_BASE_URL` and `ASYNC_JOBS_TOKEN` (see `ClientOptions`).
 *
 * @example
 * import { createBaseClient, submit, awaitJob } from "async-jobs/jobs"
 * const client = createBaseClient({ baseUrl: "http://127.0.0.1:8080", token })
 * const { job } = await submit(client, { type: "conformance.echo", input: { value: 1 } })
 * await awaitJob(client, job.id)
 */
export function createBaseClient<TJobTypes extends JobTypeMap = BuiltInJobTypes>(
  options?: ClientOptions,
): BaseClient<TJobTypes> {
  // The environment is read here, once, and nowhere else in the SDK.
  return { "~transport": createTransport(resolveClientOptions(withEnvironmentDefaults(options))) };
}
