import type { JobCommon, JobTypeMap, Metadata, WebhookTarget } from "../types.ts";

/** Job type names of a map. */
export type JobTypeName<T extends JobTypeMap> = keyof T & string;

/**
 * A job of type `K` from the type map `T`: `input` and `result` typed for that type. With the
 * default `K`, a union over every type of the map (discriminated on `type`).
 *
 * @example
 * const job: TypedJob<BuiltInJobTypes, "file.checksum"> = await getJob(client, id) as never
 * job.result?.sha256
 */
export type TypedJob<T extends JobTypeMap, K extends JobTypeName<T> = JobTypeName<T>> = K extends unknown
  ? Omit<JobCommon, "type" | "input" | "result"> & { type: K; input: T[K]["input"]; result: T[K]["result"] | null }
  : never;

/**
 * A job that ended `succeeded`: its `result` is present.
 *
 * @example
 * const job: SucceededJob<BuiltInJobTypes, "file.checksum"> = await client.jobs.submitAndWait(req)
 */
export type SucceededJob<T extends JobTypeMap, K extends JobTypeName<T> = JobTypeName<T>> = K extends unknown
  ? TypedJob<T, K> & { status: "succeeded"; result: T[K]["result"] }
  : never;

/**
 * The body of a submit, typed by job type (spec §2).
 *
 * @example
 * const req: JobRequest<BuiltInJobTypes, "conformance.echo"> = { type: "conformance.echo", input: { value: 1 } }
 */
export interface JobRequest<T extends JobTypeMap, K extends JobTypeName<T>> {
  type: K;
  input: T[K]["input"];
  /** Where the terminal event is POSTed (spec §3). */
  webhook?: WebhookTarget;
  /** Your string labels, returned as given. */
  metadata?: Metadata;
  /** Attempts before the job fails with `attempts_exhausted` (server default 3). */
  max_attempts?: number;
}
