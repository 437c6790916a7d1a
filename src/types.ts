// The only module that indexes into the generated contract types. Everything else
// imports its types from here, so a contract change shows up as a compile error in one place.
import type { components, operations, paths, webhooks } from "./generated/openapi";

type Schemas = components["schemas"];

export type { components, operations, paths, webhooks };

/** A job, discriminated on `type` for the built-in types (spec §2). */
export type Job = Schemas["Job"];
/** Fields every job has, whatever its type. */
export type JobCommon = Schemas["JobCommon"];
export type JobStatus = Schemas["JobStatus"];
export type Progress = Schemas["Progress"];
export type Metadata = Schemas["Metadata"];
export type WebhookTarget = Schemas["WebhookTarget"];
export type SubmitJobRequest = Schemas["SubmitJobRequest"];
export type JobList = Schemas["JobList"];
export type JobType = Schemas["JobType"];
export type JobTypeList = Schemas["JobTypeList"];

/** RFC 9457 problem details with the stable `code` (spec §1, §7). */
export type Problem = Schemas["Problem"];
export type ProblemCode = Schemas["ProblemCode"];
export type ProblemFieldError = Schemas["ProblemFieldError"];

export type Delivery = Schemas["Delivery"];
export type DeliveryList = Schemas["DeliveryList"];

export type Upload = Schemas["Upload"];
export type UploadStatus = Upload["status"];
export type Part = Schemas["Part"];
export type PartList = Schemas["PartList"];
export type CreateUploadRequest = Schemas["CreateUploadRequest"];
export type CompleteUploadRequest = Schemas["CompleteUploadRequest"];
export type CompletedPart = Schemas["CompletedPart"];
export type ScopedToken = Schemas["ScopedToken"];
export type ScopedTokenRequest = Schemas["ScopedTokenRequest"];
export type PendingUpload = Schemas["PendingUpload"];
export type PendingUploadList = Schemas["PendingUploadList"];

export type EchoInput = Schemas["EchoInput"];
export type EchoResult = Schemas["EchoResult"];
/**
 * `file.checksum` input. `algorithm` has a schema default, which openapi-typescript turns into a
 * required field; a caller may omit it (the server applies the default), so it is optional here.
 */
export type ChecksumInput = Omit<Schemas["ChecksumInput"], "algorithm"> & Partial<Pick<Schemas["ChecksumInput"], "algorithm">>;
export type ChecksumResult = Schemas["ChecksumResult"];
export type GzipInput = Schemas["GzipInput"];
export type GzipResult = Schemas["GzipResult"];
export type Download = Schemas["Download"];

/** Webhook events (spec §3), discriminated on `type`. */
export type JobSucceededEvent = Schemas["JobSucceededEvent"];
export type JobFailedEvent = Schemas["JobFailedEvent"];
export type JobCanceledEvent = Schemas["JobCanceledEvent"];
/** Sent only when the job's `webhook.events` lists them (spec §3.1.1). */
export type JobStartedEvent = Schemas["JobStartedEvent"];
export type JobProgressEvent = Schemas["JobProgressEvent"];
export type JobEvent = JobStartedEvent | JobProgressEvent | JobSucceededEvent | JobFailedEvent | JobCanceledEvent;
export type JobEventType = Schemas["JobEventType"];

/**
 * A map from job type name to its input and result types. The SDK is generic over it, so
 * teams with their own job types get the same typing (`createClient<MyJobTypes>()`).
 *
 * @example
 * type MyJobTypes = BuiltInJobTypes & { "report.render": { input: { pages: number }; result: { url: string } } }
 */
export type JobTypeMap = Record<string, { input: unknown; result: unknown }>;

/** The reference server's built-in job types (spec §2). */
export type BuiltInJobTypes = {
  "conformance.echo": { input: EchoInput; result: EchoResult };
  "file.checksum": { input: ChecksumInput; result: ChecksumResult };
  "file.gzip": { input: GzipInput; result: GzipResult };
};
