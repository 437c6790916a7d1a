/**
 * What a job- or upload-scoped token grants (spec §8.3): read and watch some jobs (optionally
 * cancel them), or drive one upload. Shared by the reference server and the msw mock.
 */
export type TokenScope =
  | { kind: "jobs"; tenant: string; jobs: readonly string[]; cancel: boolean; expiresAt: number }
  | { kind: "upload"; tenant: string; upload: string; expiresAt: number };

/** Lifetimes of scoped tokens, seconds (spec §8.3). */
export const scopedTokenTtl = { defaultS: 900, maxS: 3600 } as const;

/** Jobs one token may name, and one many-jobs stream may watch (spec §8.2.1, §8.3). */
export const maxJobsPerScope = 100;

/** The operations (openapi.yaml operationIds) each kind of scope grants, on its own resources only. */
const granted = {
  jobs: ["getJob", "streamJobs"],
  jobsWithCancel: ["getJob", "streamJobs", "cancelJob"],
  upload: ["getUpload", "createPartUrls", "completeUpload"],
} as const;

/** Operations addressed to jobs or uploads: refused with `404` (as if unknown) when out of scope. */
const addressed = new Set(["getJob", "cancelJob", "listDeliveries", "streamJobs", "getUpload", "abortUpload", "createPartUrls", "completeUpload", "uploadPart", "downloadFile"]);

/**
 * May a scoped token call `operationId` on the resources `ids` (the path's id, or a stream's
 * `ids`)? `allow`; `not_found` on an operation addressed to a job or upload the token does not
 * grant (as if it did not exist, spec §1.3); `unauthorized` on the others (submit, list, minting).
 *
 * @example
 * scopedTokenAccess({ kind: "jobs", tenant: "t", jobs: ["job_1"], cancel: false, expiresAt }, "cancelJob", ["job_1"]) // "not_found"
 */
export function scopedTokenAccess(scope: TokenScope, operationId: string, ids: readonly string[]): "allow" | "not_found" | "unauthorized" {
  if (!addressed.has(operationId)) return "unauthorized";
  // A stream chosen by a filter names no job: a scoped token must name its jobs.
  if (ids.length === 0) return "unauthorized";
  const operations: readonly string[] = scope.kind === "upload" ? granted.upload : scope.cancel ? granted.jobsWithCancel : granted.jobs;
  const mine = scope.kind === "upload" ? [scope.upload] : scope.jobs;
  return operations.includes(operationId) && ids.every((id) => mine.includes(id)) ? "allow" : "not_found";
}

/**
 * The lifetime a mint request gets: its `ttl_seconds` within the cap, else the default.
 *
 * @example
 * scopedTokenLifetimeS(7200) // 3600
 */
export function scopedTokenLifetimeS(requested: number | undefined): number {
  return Math.min(Math.max(1, Math.floor(requested ?? scopedTokenTtl.defaultS)), scopedTokenTtl.maxS);
}
