import type { Job, Problem } from "async-jobs/types";
import { expect } from "./check.ts";
import type { HttpResponse, RecordedExchange } from "./http-recorder.ts";

const TERMINAL = new Set(["succeeded", "failed", "canceled"]);
const STATUSES = new Set(["queued", "running", "succeeded", "failed", "canceled"]);

/**
 * True for the terminal job statuses (spec §2).
 *
 * @example
 * isTerminal("canceled") // true
 */
export function isTerminal(status: string | undefined): boolean {
  return status !== undefined && TERMINAL.has(status);
}

/**
 * True for an RFC 3339 timestamp in UTC (`Z` or `+00:00`).
 *
 * @example
 * isRfc3339Utc("2026-11-23T10:00:00.123Z") // true
 */
export function isRfc3339Utc(value: unknown): boolean {
  return (
    typeof value === "string" &&
    /^\d{4}-\d{2}-\d{2}[Tt]\d{2}:\d{2}:\d{2}(\.\d+)?([Zz]|[+-]00:00)$/.test(value) &&
    !Number.isNaN(Date.parse(value))
  );
}

/**
 * Fails unless the answer has one of the expected statuses.
 *
 * @example
 * expectStatus(res, 202, "submit");
 */
export function expectStatus(res: HttpResponse, expected: number | readonly number[], what = "request"): void {
  const list = typeof expected === "number" ? [expected] : expected;
  expect(
    list.includes(res.status),
    `${what}: expected ${list.join(" or ")}, got ${res.status}`,
    res.exchange,
  );
}

/**
 * Fails unless `Retry-After` is present and an integer number of seconds (spec §1).
 *
 * @example
 * const seconds = expectRetryAfter(res, "submit 202");
 */
export function expectRetryAfter(res: HttpResponse, what: string): number {
  const value = res.headers.get("retry-after");
  expect(value !== null, `${what}: Retry-After is missing`, res.exchange);
  expect(/^\d+$/.test(value.trim()), `${what}: Retry-After must be an integer number of seconds, got ${JSON.stringify(value)}`, res.exchange);
  return Number(value.trim());
}

/**
 * The media type without parameters, lowercased.
 *
 * @example
 * mediaType(res) // "application/problem+json"
 */
export function mediaType(res: HttpResponse): string {
  return (res.headers.get("content-type") ?? "").split(";")[0]!.trim().toLowerCase();
}

/**
 * Fails unless the answer is an RFC 9457 problem with this status and `code` (spec §1, §7).
 *
 * @example
 * expectProblem(res, 404, "not_found");
 */
export function expectProblem(res: HttpResponse, status: number, code: string | readonly string[], what = "request"): Problem {
  const codes = typeof code === "string" ? [code] : code;
  expect(res.status === status, `${what}: expected ${status} ${codes.join(" or ")}, got ${res.status}`, res.exchange);
  expectProblemShape(res, what);
  const problem = res.body as Problem;
  expect(codes.includes(problem.code), `${what}: expected code ${codes.join(" or ")}, got ${JSON.stringify(problem.code)}`, res.exchange);
  return problem;
}

/**
 * Fails unless the answer is a well-formed problem+json whose `status` equals the HTTP status.
 *
 * @example
 * expectProblemShape(res, "404");
 */
export function expectProblemShape(res: HttpResponse, what = "request"): void {
  expect(
    mediaType(res) === "application/problem+json",
    `${what}: an error must be application/problem+json, got ${JSON.stringify(res.headers.get("content-type"))}`,
    res.exchange,
  );
  const p = res.body as Record<string, unknown> | undefined;
  expect(p !== null && typeof p === "object" && !Array.isArray(p), `${what}: problem body is not a JSON object`, res.exchange);
  expect(typeof p.type === "string" && p.type.length > 0, `${what}: problem.type must be a URI string`, res.exchange);
  expect(typeof p.title === "string", `${what}: problem.title must be a string`, res.exchange);
  expect(p.status === res.status, `${what}: problem.status (${JSON.stringify(p.status)}) must equal the HTTP status ${res.status}`, res.exchange);
  expect(p.detail === undefined || typeof p.detail === "string", `${what}: problem.detail must be a string`, res.exchange);
  expect(typeof p.code === "string" && /^[a-z][a-z0-9_]*$/.test(p.code), `${what}: problem.code must be a snake_case string, got ${JSON.stringify(p.code)}`, res.exchange);
}

/**
 * Fails unless a 400 invalid_request carries `errors[]` of `{ path, message }` (JSON Pointers for
 * body errors), one of them matching `pointer` when given.
 *
 * @example
 * expectInvalidRequest(res, "/type");
 */
export function expectInvalidRequest(res: HttpResponse, pointer?: string | readonly string[], what = "request", where: "body" | "query" | "header" = "body"): void {
  const problem = expectProblem(res, 400, "invalid_request", what);
  const errors = (problem as { errors?: unknown }).errors;
  expect(Array.isArray(errors) && errors.length > 0, `${what}: invalid_request must carry a non-empty errors[]`, res.exchange);
  for (const e of errors as { path?: unknown; message?: unknown }[]) {
    // A JSON Pointer "from the body root" only exists for body errors; query and header errors
    // name their parameter however the server likes.
    expect(
      typeof e?.path === "string" && (where !== "body" || e.path === "" || e.path.startsWith("/")),
      `${what}: errors[].path must be a JSON Pointer, got ${JSON.stringify(e?.path)}`,
      res.exchange,
    );
    expect(typeof e.message === "string", `${what}: errors[].message must be a string`, res.exchange);
  }
  if (pointer !== undefined) {
    const wanted = typeof pointer === "string" ? [pointer] : pointer;
    expect(
      (errors as { path: string }[]).some((e) => wanted.includes(e.path)),
      `${what}: expected an error at ${wanted.map((w) => JSON.stringify(w)).join(" or ")}, got ${JSON.stringify((errors as { path: string }[]).map((e) => e.path))}`,
      res.exchange,
    );
  }
}

/**
 * Fails unless `job` has the Job resource's shape and invariants (spec §2).
 *
 * @example
 * const job = expectJob(res.body, res.exchange);
 */
export function expectJob(value: unknown, evidence: RecordedExchange | undefined, what = "job"): Job {
  const j = value as Record<string, unknown>;
  const fail = (m: string) => expect(false, `${what}: ${m}`, evidence);
  if (j === null || typeof j !== "object" || Array.isArray(j)) fail("body is not a JSON object");
  if (typeof j.id !== "string" || j.id.length === 0) fail("id must be a non-empty string");
  if (typeof j.type !== "string") fail("type must be a string");
  if (typeof j.status !== "string" || !STATUSES.has(j.status)) fail(`status ${JSON.stringify(j.status)} is not a job status`);
  if (!("input" in j)) fail("input is missing");
  const m = j.metadata as Record<string, unknown>;
  if (m === null || typeof m !== "object" || Array.isArray(m) || Object.values(m).some((v) => typeof v !== "string")) {
    fail("metadata must be an object of strings");
  }
  const p = j.progress as { percent?: unknown; message?: unknown } | null;
  if (p !== null) {
    if (typeof p !== "object" || typeof p.percent !== "number" || p.percent < 0 || p.percent > 100) fail(`progress must be null or { percent: 0..100 }, got ${JSON.stringify(p)}`);
    if (p!.message !== null && p!.message !== undefined && typeof p!.message !== "string") fail("progress.message must be a string or null");
  }
  if (!Number.isInteger(j.attempt) || (j.attempt as number) < 0) fail(`attempt must be an integer >= 0, got ${JSON.stringify(j.attempt)}`);
  if (!Number.isInteger(j.max_attempts) || (j.max_attempts as number) < 1) fail(`max_attempts must be an integer >= 1, got ${JSON.stringify(j.max_attempts)}`);
  if (!("result" in j)) fail("result is missing (null unless succeeded)");
  if (!("error" in j)) fail("error is missing (null unless failed)");
  if (j.result !== null && j.status !== "succeeded") fail(`result must be null unless succeeded (status ${String(j.status)})`);
  if (j.error !== null && j.status !== "failed") fail(`error must be null unless failed (status ${String(j.status)})`);
  if (typeof j.cancel_requested !== "boolean") fail("cancel_requested must be a boolean");
  const w = j.webhook as { url?: unknown } | null;
  if (w !== null && (typeof w !== "object" || typeof w.url !== "string")) fail("webhook must be null or { url }");
  for (const k of ["created_at", "updated_at", "expires_at"]) {
    if (!isRfc3339Utc(j[k])) fail(`${k} must be an RFC 3339 UTC time, got ${JSON.stringify(j[k])}`);
  }
  for (const k of ["started_at", "completed_at"]) {
    if (j[k] !== null && !isRfc3339Utc(j[k])) fail(`${k} must be null or an RFC 3339 UTC time, got ${JSON.stringify(j[k])}`);
  }
  if (isTerminal(j.status as string) && j.completed_at === null) fail("a terminal job must have completed_at");
  if (!isTerminal(j.status as string) && j.completed_at !== null) fail("completed_at must be null until the job is terminal");
  return j as unknown as Job;
}

/**
 * Deep equality for JSON values (key order ignored).
 *
 * @example
 * jsonEqual({ a: 1, b: [2] }, { b: [2], a: 1 }) // true
 */
export function jsonEqual(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (typeof a !== typeof b || a === null || b === null || typeof a !== "object") return false;
  if (Array.isArray(a) !== Array.isArray(b)) return false;
  if (Array.isArray(a)) {
    const bb = b as unknown[];
    return a.length === bb.length && a.every((v, i) => jsonEqual(v, bb[i]));
  }
  const ka = Object.keys(a as object);
  const kb = Object.keys(b as object);
  return ka.length === kb.length && ka.every((k) => jsonEqual((a as Record<string, unknown>)[k], (b as Record<string, unknown>)[k]));
}

/**
 * Resolves a Location header against the request URL and returns its path.
 *
 * @example
 * locationPath(res) // "/v1/jobs/job_01…"
 */
export function locationPath(res: HttpResponse): string | undefined {
  const value = res.headers.get("location");
  if (!value) return undefined;
  try {
    return new URL(value, res.exchange.url).pathname;
  } catch {
    return undefined;
  }
}
