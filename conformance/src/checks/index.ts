import type { Check } from "../check.ts";
import { authChecks } from "./auth.ts";
import { cancelChecks } from "./cancel.ts";
import { downloadChecks } from "./downloads.ts";
import { errorChecks } from "./errors.ts";
import { idempotencyChecks } from "./idempotency.ts";
import { submitChecks } from "./jobs-submit.ts";
import { jobTypeChecks } from "./job-types.ts";
import { lifecycleChecks } from "./lifecycle.ts";
import { lifecycleWebhookChecks } from "./lifecycle-webhooks.ts";
import { limitChecks } from "./limits.ts";
import { listChecks } from "./list.ts";
import { longPollChecks } from "./long-poll.ts";
import { statusChecks } from "./status.ts";
import { streamChecks } from "./stream.ts";
import { jobsStreamChecks } from "./jobs-stream-many.ts";
import { scopedTokenChecks } from "./scoped-tokens.ts";
import { uploadListingChecks } from "./uploads-listing.ts";
import { traceContextChecks } from "./trace-context.ts";
import { uploadChecks } from "./uploads.ts";
import { webhookChecks } from "./webhooks.ts";

/**
 * The whole catalog, in report order (spec §1 → §5).
 *
 * @example
 * catalog.filter((c) => c.level === "MUST").length
 */
export const catalog: readonly Check[] = [
  ...authChecks,
  ...errorChecks,
  ...limitChecks,
  ...submitChecks,
  ...idempotencyChecks,
  ...statusChecks,
  ...longPollChecks,
  ...streamChecks,
  ...jobsStreamChecks,
  ...lifecycleChecks,
  ...cancelChecks,
  ...listChecks,
  ...jobTypeChecks,
  ...webhookChecks,
  ...lifecycleWebhookChecks,
  ...uploadChecks,
  ...uploadListingChecks,
  ...downloadChecks,
  ...scopedTokenChecks,
  ...traceContextChecks,
];
