import type { BaseClient } from "../client/create-base-client.ts";
import { request } from "../internal/request.ts";
import type { JobType, JobTypeMap } from "../types.ts";

/**
 * The job types the server runs, with the JSON Schemas of their input and result.
 *
 * @example
 * const types = await listJobTypes(client) // [{ type: "conformance.echo", … }, …]
 */
export async function listJobTypes<T extends JobTypeMap>(client: BaseClient<T>, options: { signal?: AbortSignal } = {}): Promise<JobType[]> {
  const { data } = await request(client, (api, init) => api.GET("/v1/job-types", init), { signal: options.signal });
  return data.data;
}
