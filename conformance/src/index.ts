// The library entry: run the suite from your own tests, or pick checks from the catalog.
export { catalog } from "./checks/index.ts";
export { type Check, type CheckContext, type CheckSettings, CheckFailure, CheckSkip, expect, type Level, type Need, skip } from "./check.ts";
export type { HttpClient, HttpResponse, RecordedExchange } from "./http-recorder.ts";
export {
  type CheckResult,
  type ConformanceOptions,
  type ConformanceReport,
  ConformanceSetupError,
  type ConformanceSummary,
  type Outcome,
  type ProgressEvent,
  runConformance,
} from "./run-conformance.ts";
export { renderHtml } from "./reporters/html.ts";
export { renderJson } from "./reporters/json.ts";
export { renderJunit } from "./reporters/junit.ts";
export { createPrettyReporter } from "./reporters/pretty.ts";
export { startWebhookReceiver, type WebhookReceiver, type WebhookRoute } from "./webhook-receiver.ts";
