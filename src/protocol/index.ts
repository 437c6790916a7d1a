// async-jobs/protocol: the protocol's rules in one runtime-neutral core (spec §1-4, §7) that the
// SDK, the msw mock and the reference server share; the conformance suite reads the spec on its
// own on purpose. Entry only re-exports.
export { formatContentRange, parseRange, unsatisfiableRange, type ByteRange, type RangeRequest } from "./byte-range.ts";
export { canonicalJson, requestFingerprint } from "./canonical-json.ts";
export { formatIdempotencyKey, parseIdempotencyKey, type IdempotencyKeyHeader } from "./idempotency-key.ts";
export { acceptsEventStream, eventStreamHeartbeat, eventStreamType, firstStreamStep, formatServerSentEvent } from "./event-stream.ts";
export { createEventStreamParser, type ServerSentEvent } from "./event-stream-parser.ts";
export { ifNoneMatchMatches } from "./if-none-match.ts";
export { jobETag } from "./job-etag.ts";
export { samePartETag } from "./part-etag.ts";
export { canTransition, isJobStatus, isTerminal, jobStatuses, jobTransitions } from "./job-state.ts";
export { defaultPartSize, partSizeOf, planParts, s3PartLimits, type PartPlan, type PlanPartsOptions } from "./part-plan.ts";
export { formatWaitPreference, parsePrefer, preferredWait, type Preferences } from "./prefer.ts";
export { createProblem, isProblemCode, problemRegistry, problemType, type ProblemEntry, type ProblemInit } from "./problem-registry.ts";
export { formatRetryAfter, parseRetryAfter } from "./retry-after.ts";
export { formatJobsLastEventId, jobsStreamEventId, jobsStreamPath, parseJobIds, parseJobsLastEventId } from "./jobs-stream.ts";
export { maxJobsPerScope, scopedTokenAccess, scopedTokenLifetimeS, scopedTokenTtl, type TokenScope } from "./scoped-token.ts";
export { nextProgressEventAt, sendsWebhookEvent } from "./webhook-events.ts";
