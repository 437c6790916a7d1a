import { randomUUID } from "node:crypto";
import { signWebhook } from "../../src/verify-signature.ts";
import { type ProxiedRequest, type ProxiedResponse, type ProxyHooks, readJson, writeJson } from "./mutation-proxy.ts";

/** One realistic bug, injected by rewriting traffic, and the checks that must catch it. */
export interface Mutant {
  readonly id: string;
  readonly bug: string;
  /** At least one of these checks must fail. */
  readonly killers: readonly string[];
  /** Between the suite and the server. */
  readonly api?: ProxyHooks;
  /** Between the server and the suite's webhook receiver (the secret lets a mutant re-sign). */
  readonly webhook?: (secret: string) => ProxyHooks;
  /** Run against a server that refuses private webhook URLs, with `--private-webhooks refused`. */
  readonly privateWebhooks?: "refused";
}

const pathOf = (req: ProxiedRequest) => req.path.split("?")[0]!;
const isSubmit = (req: ProxiedRequest) => req.method === "POST" && pathOf(req) === "/v1/jobs";
const isJobGet = (req: ProxiedRequest) => req.method === "GET" && /^\/v1\/jobs\/[^/]+$/.test(pathOf(req));
const isList = (req: ProxiedRequest) => req.method === "GET" && pathOf(req) === "/v1/jobs";
const isCancel = (req: ProxiedRequest) => req.method === "POST" && /^\/v1\/jobs\/[^/]+\/cancel$/.test(pathOf(req));
const isPartPut = (req: ProxiedRequest) => req.method === "PUT" && /^\/v1\/uploads\/[^/]+\/parts\//.test(pathOf(req));
const code = (res: ProxiedResponse) => (readJson(res) as { code?: string } | undefined)?.code;

function problem(res: ProxiedResponse, status: number, problemCode: string) {
  res.status = status;
  res.headers["content-type"] = "application/problem+json";
  writeJson(res, { type: `https://async-jobs.dev/problems/${problemCode}`, title: problemCode, status, code: problemCode });
}

function resign(secret: string, req: ProxiedRequest) {
  req.headers["webhook-signature"] = signWebhook(secret, req.headers["webhook-id"]!, req.headers["webhook-timestamp"]!, req.body);
}

/** The mutants; each must be killed by one of its `killers`. */
export const mutants: readonly Mutant[] = [
  { id: "submit-200", bug: "submit answers 200 instead of 202", killers: ["submit.accepted"], api: { response: (req, res) => { if (isSubmit(req) && res.status === 202) res.status = 200; } } },
  { id: "submit-no-location", bug: "submit 202 without Location", killers: ["submit.location"], api: { response: (req, res) => { if (isSubmit(req)) delete res.headers.location; } } },
  { id: "submit-retry-after-date", bug: "Retry-After as an HTTP date", killers: ["submit.retry-after"], api: { response: (req, res) => { if (isSubmit(req) && res.headers["retry-after"]) res.headers["retry-after"] = new Date(Date.now() + 1000).toUTCString(); } } },
  { id: "replay-new-job", bug: "Idempotency-Key ignored: a replay creates a new job", killers: ["idempotency.replay", "idempotency.canonical-body", "idempotency.quoted-and-bare"], api: { request: (req) => { if (isSubmit(req)) delete req.headers["idempotency-key"]; } } },
  { id: "replay-no-header", bug: "a replay without Idempotent-Replayed: true", killers: ["idempotency.replay"], api: { response: (req, res) => { delete res.headers["idempotent-replayed"]; } } },
  { id: "reused-as-conflict", bug: "same key, different body answered 409 instead of 422", killers: ["idempotency.key-reused"], api: { response: (req, res) => { if (code(res) === "idempotency_key_reused") problem(res, 409, "idempotency_key_in_use"); } } },
  {
    id: "replay-stale-body",
    bug: "a replay returns the first answer's stale job",
    killers: ["idempotency.replay-current-state"],
    api: {
      response: (req, res, state) => {
        const key = req.headers["idempotency-key"];
        if (!isSubmit(req) || !key || res.status !== 202) return;
        const cached = state.get(key) as Buffer | undefined;
        if (cached) res.body = cached;
        else state.set(key, res.body);
      },
    },
  },
  { id: "quoted-key-distinct", bug: "the quoted and bare forms are different keys", killers: ["idempotency.quoted-and-bare"], api: { request: (req) => { const k = req.headers["idempotency-key"]; if (k?.startsWith('"')) req.headers["idempotency-key"] = `q${k.slice(1, -1)}`; } } },
  { id: "in-use-no-retry-after", bug: "409 idempotency_key_in_use without Retry-After", killers: ["idempotency.in-use", "idempotency.concurrent-one-job"], api: { response: (req, res) => { if (res.status === 409) delete res.headers["retry-after"]; } } },
  {
    id: "other-tenant-403",
    bug: "another tenant's job is 403 instead of 404",
    killers: ["tenant.job-not-found", "tenant.cancel-not-found", "tenant.deliveries-not-found"],
    api: { response: (req, res) => { if (res.status === 404 && pathOf(req).startsWith("/v1/jobs/") && req.headers.authorization?.includes("tok_tenant-b")) problem(res, 403, "forbidden"); } },
  },
  {
    id: "status-regresses",
    bug: "a succeeded job is read back as running once",
    killers: ["lifecycle.status-monotonic", "lifecycle.terminal-stable"],
    api: {
      response: (req, res, state) => {
        const job = readJson(res);
        if (!isJobGet(req) || res.status !== 200 || job?.status !== "succeeded") return;
        const n = ((state.get(job.id) as number) ?? 0) + 1;
        state.set(job.id, n);
        if (n === 2) writeJson(res, { ...job, status: "running", result: null, completed_at: null });
      },
    },
  },
  { id: "static-etag", bug: "a static ETag", killers: ["status.etag-tracks-representation", "status.not-modified"], api: { response: (req, res) => { if (isJobGet(req) && res.headers.etag) res.headers.etag = '"static"'; } } },
  { id: "weak-etag", bug: "a weak ETag", killers: ["status.headers", "status.not-modified"], api: { response: (req, res) => { if (isJobGet(req) && res.headers.etag) res.headers.etag = `W/${res.headers.etag}`; } } },
  { id: "cacheable-status", bug: "Cache-Control: max-age=60 on a status", killers: ["status.headers"], api: { response: (req, res) => { if (isJobGet(req)) res.headers["cache-control"] = "max-age=60"; } } },
  { id: "304-no-retry-after", bug: "304 without Retry-After", killers: ["status.not-modified", "long-poll.timeout-304"], api: { response: (req, res) => { if (res.status === 304) delete res.headers["retry-after"]; } } },
  { id: "if-none-match-ignored", bug: "If-None-Match ignored (always 200)", killers: ["status.not-modified"], api: { request: (req) => { if (isJobGet(req)) delete req.headers["if-none-match"]; } } },
  { id: "no-www-authenticate", bug: "401 without WWW-Authenticate", killers: ["auth.missing-token", "auth.invalid-token"], api: { response: (req, res) => { if (res.status === 401) delete res.headers["www-authenticate"]; } } },
  { id: "problem-as-json", bug: "errors served as application/json", killers: ["errors.problem-json"], api: { response: (req, res) => { if (res.headers["content-type"]?.includes("problem+json")) res.headers["content-type"] = "application/json"; } } },
  { id: "request-id-not-echoed", bug: "the client's X-Request-Id is replaced", killers: ["errors.request-id-echoed"], api: { response: (req, res) => { res.headers["x-request-id"] = `req_${randomUUID()}`; } } },
  { id: "405-no-allow", bug: "405 without Allow", killers: ["errors.method-not-allowed"], api: { response: (req, res) => { if (res.status === 405) delete res.headers.allow; } } },
  { id: "malformed-json-500", bug: "malformed JSON answered 500", killers: ["errors.malformed-json", "errors.no-5xx-on-bad-input"], api: { response: (req, res) => { if (code(res) === "malformed_json") problem(res, 500, "internal"); } } },
  { id: "415-as-400", bug: "a wrong content type answered 400", killers: ["errors.unsupported-media-type"], api: { response: (req, res) => { if (res.status === 415) problem(res, 400, "invalid_request"); } } },
  {
    id: "list-repeats",
    bug: "offset-style cursors repeat a job on the next page",
    killers: ["list.pagination"],
    api: {
      response: (req, res, state) => {
        if (!isList(req) || res.status !== 200) return;
        const page = readJson(res);
        const cursor = new URLSearchParams(req.path.split("?")[1] ?? "").get("cursor");
        const carried = cursor ? state.get(cursor) : undefined;
        if (page.next_cursor && page.data.length) state.set(page.next_cursor, page.data.at(-1));
        if (carried) writeJson(res, { ...page, data: [carried, ...page.data].slice(0, Math.max(page.data.length, 1)) });
      },
    },
  },
  { id: "list-oldest-first", bug: "lists oldest first", killers: ["list.newest-first"], api: { response: (req, res) => { if (isList(req) && res.status === 200) { const p = readJson(res); writeJson(res, { ...p, data: [...p.data].reverse() }); } } } },
  { id: "status-filter-ignored", bug: "the status filter is ignored", killers: ["list.filters"], api: { request: (req) => { if (isList(req) && /status=succeeded/.test(req.path)) req.path = req.path.replace(/status=[^&]*&?/, ""); } } },
  {
    id: "progress-goes-back",
    bug: "progress goes back within an attempt",
    killers: ["lifecycle.progress-monotonic"],
    api: {
      response: (req, res, state) => {
        const job = readJson(res);
        if (!isJobGet(req) || job?.status !== "running" || !job.progress || job.progress.percent < 50) return;
        const n = ((state.get(job.id) as number) ?? 0) + 1;
        state.set(job.id, n);
        if (n === 2) writeJson(res, { ...job, progress: { ...job.progress, percent: 12 } });
      },
    },
  },
  { id: "updated-at-frozen", bug: "updated_at never moves", killers: ["lifecycle.updated-at"], api: { response: (req, res) => { const job = readJson(res); if (isJobGet(req) && job?.created_at) writeJson(res, { ...job, updated_at: job.created_at }); } } },
  { id: "attempt-not-counted", bug: "attempt is not incremented on a new attempt", killers: ["lifecycle.retry-then-succeed", "lifecycle.lost-lease-recovered"], api: { response: (req, res) => { const job = readJson(res); if (isJobGet(req) && job?.attempt > 1) writeJson(res, { ...job, attempt: 1 }); } } },
  { id: "exhausted-as-internal", bug: "lost leases end with error.code internal", killers: ["lifecycle.attempts-exhausted"], api: { response: (req, res) => { const job = readJson(res); if (isJobGet(req) && job?.error?.code === "attempts_exhausted") writeJson(res, { ...job, error: { ...job.error, code: "internal" } }); } } },
  { id: "cancel-terminal-200", bug: "canceling a succeeded job answers 200", killers: ["cancel.terminal-conflict"], api: { response: (req, res) => { if (isCancel(req) && code(res) === "job_already_terminal") { res.status = 200; res.headers["content-type"] = "application/json"; writeJson(res, {}); } } } },
  { id: "cancel-running-200", bug: "canceling a running job answers 200", killers: ["cancel.running"], api: { response: (req, res) => { if (isCancel(req) && res.status === 202) res.status = 200; } } },
  { id: "prefer-wait-200-early", bug: "Prefer: wait answered 200 with a job still running", killers: ["submit.prefer-wait"], api: { response: (req, res) => { if (isSubmit(req) && req.headers.prefer && res.status === 202) res.status = 200; } } },
  {
    id: "long-poll-returns-early",
    bug: "Preference-Applied: wait sent, but the request is not held",
    killers: ["long-poll.until-terminal", "long-poll.timeout-304"],
    api: {
      request: (req) => {
        if (isJobGet(req) && req.headers.prefer) {
          req.headers["x-mutant-prefer"] = req.headers.prefer;
          delete req.headers.prefer;
        }
      },
      response: (req, res) => {
        const asked = /wait=(\d+)/.exec(req.headers["x-mutant-prefer"] ?? "");
        if (asked) res.headers["preference-applied"] = `wait=${asked[1]}`;
      },
    },
  },
  { id: "expired-url-accepted", bug: "an expired part URL is accepted", killers: ["uploads.expired-url"], api: { response: (req, res) => { if (isPartPut(req) && code(res) === "url_expired") { res.status = 200; res.headers.etag = '"accepted"'; res.body = Buffer.alloc(0); delete res.headers["content-type"]; } } } },
  { id: "tampered-url-accepted", bug: "an altered part URL is accepted", killers: ["uploads.tampered-url"], api: { response: (req, res) => { if (isPartPut(req) && code(res) === "invalid_signature") { res.status = 200; res.headers.etag = '"accepted"'; res.body = Buffer.alloc(0); delete res.headers["content-type"]; } } } },
  { id: "part-etag-unquoted", bug: "a part's JSON etag drops the quotes of the ETag header", killers: ["uploads.resume-listing"], api: { response: (req, res) => { const u = readJson(res); if (req.method === "GET" && Array.isArray(u?.parts)) writeJson(res, { ...u, parts: u.parts.map((p: { etag: string | null }) => ({ ...p, etag: p.etag?.replace(/"/g, "") ?? null })) }); } } },
  { id: "checksum-mismatch-accepted", bug: "a wrong sha256 completes the upload", killers: ["uploads.checksum"], api: { response: (req, res) => { if (code(res) === "checksum_mismatch") { res.status = 200; res.headers["content-type"] = "application/json"; writeJson(res, { status: "completed" }); } } } },
  { id: "put-after-complete-accepted", bug: "a part PUT on a completed upload is accepted", killers: ["uploads.recomplete"], api: { response: (req, res) => { if (isPartPut(req) && code(res) === "upload_not_pending") { res.status = 200; res.headers.etag = '"accepted"'; res.body = Buffer.alloc(0); delete res.headers["content-type"]; } } } },
  { id: "range-ignored", bug: "Range is ignored on downloads", killers: ["downloads.range"], api: { request: (req) => { if (req.path.startsWith("/v1/downloads/")) delete req.headers.range; } } },
  { id: "deliveries-wrong-event-id", bug: "deliveries list an event_id other than the webhook-id", killers: ["webhooks.deliveries"], api: { response: (req, res) => { const d = readJson(res); if (pathOf(req).endsWith("/deliveries") && Array.isArray(d?.data)) writeJson(res, { data: d.data.map((r: object) => ({ ...r, event_id: "evt_other" })) }); } } },
  {
    id: "signature-over-reserialized-json",
    bug: "the body sent is not the bytes that were signed (re-serialized JSON)",
    killers: ["webhooks.signature"],
    webhook: () => ({ request: (req) => { req.body = Buffer.from(JSON.stringify(JSON.parse(req.body.toString("utf8")), null, 2)); } }),
  },
  {
    id: "new-webhook-id-per-retry",
    bug: "every retry carries a new webhook-id",
    killers: ["webhooks.same-id-on-retry"],
    webhook: (secret) => ({ request: (req) => { req.headers["webhook-id"] = `evt_${randomUUID()}`; resign(secret, req); } }),
  },
  {
    id: "webhook-timestamp-ms",
    bug: "webhook-timestamp in milliseconds",
    killers: ["webhooks.timestamp-fresh"],
    webhook: (secret) => ({ request: (req) => { req.headers["webhook-timestamp"] = String(Date.now()); resign(secret, req); } }),
  },
  { id: "gone-retried", bug: "410 Gone is retried like a 5xx", killers: ["webhooks.gone-stops"], webhook: () => ({ response: (req, res) => { if (res.status === 410) res.status = 500; } }) },
  { id: "2xx-not-success", bug: "only 200 counts as success (204 is retried)", killers: ["webhooks.any-2xx"], webhook: () => ({ response: (req, res) => { if (res.status === 204) res.status = 500; } }) },

  // Second wave: one mutant for most of the remaining clauses.
  {
    id: "list-leaks-other-tenant",
    bug: "the list shows another tenant's recent jobs",
    killers: ["tenant.list-isolated"],
    api: {
      response: (req, res, state) => {
        if (isSubmit(req) && res.status === 202 && req.headers.authorization?.includes("tok_tenant-a")) state.set("last-a", readJson(res));
        const leak = state.get("last-a");
        if (isList(req) && res.status === 200 && req.headers.authorization?.includes("tok_tenant-b") && leak) {
          const page = readJson(res);
          writeJson(res, { ...page, data: [leak, ...page.data] });
        }
      },
    },
  },
  {
    id: "keys-not-per-tenant",
    bug: "idempotency keys are global, not per tenant",
    killers: ["tenant.idempotency-per-tenant"],
    api: {
      response: (req, res, state) => {
        const key = req.headers["idempotency-key"];
        if (!isSubmit(req) || !key || res.status !== 202) return;
        const first = state.get(`key:${key}`) as Buffer | undefined;
        if (first) {
          res.body = first;
          res.headers["idempotent-replayed"] = "true";
        } else state.set(`key:${key}`, res.body);
      },
    },
  },
  { id: "plus-json-refused", bug: "application/*+json is refused with 415", killers: ["errors.json-media-types"], api: { response: (req, res) => { if (/\+json/.test(req.headers["content-type"] ?? "")) problem(res, 415, "unsupported_media_type"); } } },
  { id: "no-request-id", bug: "no X-Request-Id on responses", killers: ["errors.request-id-present"], api: { response: (req, res) => { delete res.headers["x-request-id"]; } } },
  { id: "unknown-type-400", bug: "an unknown job type answered 400 invalid_request", killers: ["submit.unknown-type"], api: { response: (req, res) => { if (code(res) === "unknown_job_type") problem(res, 400, "invalid_request"); } } },
  { id: "invalid-input-no-errors", bug: "invalid_input without errors[]", killers: ["submit.invalid-input"], api: { response: (req, res) => { const p = readJson(res); if (p?.code === "invalid_input") { delete p.errors; writeJson(res, p); } } } },
  { id: "error-paths-not-pointers", bug: "body errors[].path is not a JSON Pointer", killers: ["errors.invalid-request"], api: { response: (req, res) => { const p = readJson(res); if (p?.code === "invalid_request" && Array.isArray(p.errors)) writeJson(res, { ...p, errors: p.errors.map((e: { path: string }) => ({ ...e, path: e.path.replace(/^\//, "").replace(/\//g, ".") })) }); } } },
  { id: "too-large-as-400", bug: "a body over the limit answered 400", killers: ["errors.payload-too-large"], api: { response: (req, res) => { if (res.status === 413) problem(res, 400, "invalid_request"); } } },
  { id: "unknown-preference-refused", bug: "an unknown preference is an error", killers: ["errors.unknown-preference-ignored"], api: { response: (req, res) => { if (/x-conformance|return=minimal/.test(req.headers.prefer ?? "")) problem(res, 400, "invalid_request"); } } },
  { id: "healthz-needs-auth", bug: "/healthz requires a token", killers: ["health.ok"], api: { response: (req, res) => { if (pathOf(req) === "/healthz" && !req.headers.authorization) problem(res, 401, "unauthorized"); } } },
  {
    id: "cancel-not-idempotent",
    bug: "canceling a canceled job is 409",
    killers: ["cancel.idempotent"],
    api: {
      response: (req, res, state) => {
        if (!isCancel(req) || (res.status !== 200 && res.status !== 202)) return;
        if (state.has(req.path) && res.status === 200) problem(res, 409, "job_already_terminal");
        state.set(req.path, true);
      },
    },
  },
  { id: "default-limit-50", bug: "the default page size is 50", killers: ["list.shape"], api: { request: (req) => { if (isList(req) && !/limit=/.test(req.path)) req.path += req.path.includes("?") ? "&limit=50" : "?limit=50"; } } },
  { id: "bad-limit-clamped", bug: "limit out of range is clamped instead of refused", killers: ["list.invalid-query"], api: { request: (req) => { if (isList(req)) req.path = req.path.replace(/limit=(0|101)\b/, "limit=20"); } } },
  { id: "deliveries-hide-failures", bug: "failed attempts are not listed in deliveries", killers: ["webhooks.retry-after-5xx"], api: { response: (req, res) => { const d = readJson(res); if (pathOf(req).endsWith("/deliveries") && Array.isArray(d?.data)) writeJson(res, { data: d.data.filter((r: { status_code: number | null }) => (r.status_code ?? 0) < 500) }); } } },
  { id: "webhook-text-plain", bug: "webhooks sent as text/plain", killers: ["webhooks.delivered"], webhook: () => ({ request: (req) => { req.headers["content-type"] = "text/plain"; } }) },
  {
    id: "canceled-event-as-succeeded",
    bug: "a canceled job sends job.succeeded",
    killers: ["webhooks.event-types"],
    webhook: (secret) => ({
      request: (req) => {
        const ev = JSON.parse(req.body.toString("utf8"));
        if (ev.type === "job.canceled") {
          req.body = Buffer.from(JSON.stringify({ ...ev, type: "job.succeeded" }));
          resign(secret, req);
        }
      },
    }),
  },
  { id: "size-mismatch-accepted", bug: "a part of the wrong length is stored", killers: ["uploads.size-mismatch"], api: { response: (req, res) => { if (isPartPut(req) && code(res) === "size_mismatch") { res.status = 200; res.headers.etag = '"accepted"'; res.body = Buffer.alloc(0); delete res.headers["content-type"]; } } } },
  { id: "invalid-part-as-incomplete", bug: "an outside part number or a wrong etag is reported as upload_incomplete", killers: ["uploads.complete-invalid-part", "uploads.complete-etag"], api: { response: (req, res) => { if (code(res) === "invalid_part") problem(res, 422, "upload_incomplete"); } } },
  { id: "incomplete-as-invalid-part", bug: "completeness is checked after etags", killers: ["uploads.complete-incomplete"], api: { response: (req, res) => { if (code(res) === "upload_incomplete" && req.body.includes("wrong-etag")) problem(res, 422, "invalid_part"); } } },
  { id: "etags-compared-with-quotes", bug: "etags compared with their quotes", killers: ["uploads.complete-etag"], api: { response: (req, res) => { if (req.method === "POST" && pathOf(req).endsWith("/complete") && res.status === 200 && !req.body.toString().includes('\\"')) problem(res, 422, "invalid_part"); } } },
  { id: "abort-completed-204", bug: "DELETE of a completed upload answers 204", killers: ["uploads.abort"], api: { response: (req, res) => { if (req.method === "DELETE" && code(res) === "upload_not_pending") { res.status = 204; res.body = Buffer.alloc(0); delete res.headers["content-type"]; } } } },
  { id: "part-put-needs-bearer", bug: "a part PUT without a bearer token is refused", killers: ["uploads.part-put"], api: { response: (req, res) => { if (isPartPut(req) && !req.headers.authorization) problem(res, 401, "unauthorized"); } } },
  { id: "range-no-content-range", bug: "206 without Content-Range", killers: ["downloads.range"], api: { response: (req, res) => { if (res.status === 206) delete res.headers["content-range"]; } } },
  { id: "download-needs-bearer", bug: "the presigned download requires a bearer token", killers: ["downloads.full"], api: { response: (req, res) => { if (req.path.startsWith("/v1/downloads/") && !req.headers.authorization) problem(res, 401, "unauthorized"); } } },
  { id: "failure-code-lost", bug: "a failed job's error.code is not the failure's code", killers: ["lifecycle.failed"], api: { response: (req, res) => { const job = readJson(res); if (isJobGet(req) && job?.status === "failed" && job.error) writeJson(res, { ...job, error: { ...job.error, code: "job_failed" } }); } } },
  { id: "job-types-no-schema", bug: "job types without input_schema", killers: ["job-types.list"], api: { response: (req, res) => { const d = readJson(res); if (pathOf(req) === "/v1/job-types" && Array.isArray(d?.data)) writeJson(res, { data: d.data.map(({ input_schema: _, ...t }: { input_schema: unknown }) => t) }); } } },
  { id: "terminal-keeps-changing", bug: "a terminal job's updated_at moves on every read", killers: ["lifecycle.terminal-stable"], api: { response: (req, res) => { const job = readJson(res); if (isJobGet(req) && job?.status === "succeeded") writeJson(res, { ...job, updated_at: new Date().toISOString() }); } } },
  { id: "every-part-signed", bug: "signed URLs for every part, beyond the first 100", killers: ["uploads.first-100-urls"], api: { response: (req, res) => { const u = readJson(res); if (req.method === "POST" && pathOf(req) === "/v1/uploads" && u?.parts?.length > 100) writeJson(res, { ...u, parts: u.parts.map((p: { url?: string }) => ({ ...p, url: p.url ?? u.parts[0].url })) }); } } },
  { id: "huge-upload-accepted", bug: "an upload over 5 TiB is accepted", killers: ["uploads.invalid-create"], api: { request: (req) => { if (req.method === "POST" && pathOf(req) === "/v1/uploads") req.body = Buffer.from(req.body.toString().replace('"size":5497558138881', '"size":10')); } } },
  {
    id: "long-poll-ignores-changes",
    bug: "a long poll with If-None-Match wakes only when the job ends, not on a progress change",
    killers: ["long-poll.wakes-within-bound"],
    // Without If-None-Match the server holds the request until the job is terminal (spec §2).
    api: { request: (req) => { if (isJobGet(req) && req.headers.prefer && req.headers["if-none-match"]) delete req.headers["if-none-match"]; } },
  },
  {
    id: "private-webhook-accepted",
    bug: "a webhook URL on a private or metadata address is accepted by a production server",
    killers: ["webhooks.private-url-refused"],
    privateWebhooks: "refused",
    api: { response: (req, res) => { if (isSubmit(req) && code(res) === "invalid_webhook_url") { res.status = 202; res.headers["content-type"] = "application/json"; writeJson(res, { id: "job_accepted", status: "queued" }); } } },
  },
  // Scoped tokens and the many-jobs stream (spec §8.3, §8.2.1).
  { id: "scoped-token-403", bug: "a scoped token on another job is 403, telling that the job exists", killers: ["tokens.job-scope", "tokens.upload-scope"], api: { response: (req, res) => { if (req.headers.authorization?.startsWith("Bearer ajst_") && res.status === 404) problem(res, 403, "forbidden"); } } },
  { id: "scoped-token-never-expires", bug: "an expired scoped token still reads its job", killers: ["tokens.expired"], api: { response: (req, res) => { if (req.headers.authorization?.startsWith("Bearer ajst_") && res.status === 401 && /expired/.test(res.body.toString())) { res.status = 200; res.headers["content-type"] = "application/json"; writeJson(res, {}); } } } },
  { id: "stream-many-ignores-resume", bug: "the many-jobs stream ignores Last-Event-ID and repeats terminal events", killers: ["stream-many.resume"], api: { request: (req) => { if (pathOf(req) === "/v1/jobs-stream") delete req.headers["last-event-id"]; } } },
  { id: "stream-many-bare-ids", bug: "many-jobs events carry the bare ETag as id, so a client cannot tell whose it is", killers: ["stream-many.events"], api: { response: (req, res) => { if (pathOf(req) === "/v1/jobs-stream") res.body = Buffer.from(res.body.toString().replace(/^id: \S+ /gm, "id: ")); } } },
];
