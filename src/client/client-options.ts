import type { Hooks } from "ky";
import { systemClock, type RetryClock, type RetryPolicy } from "../internal/retry-policy.ts";
import type { JobTypeSchemas } from "../jobs/job-type-schemas.ts";
/**
 * Retry policy of every request (spec §6). Retried: network errors and per-attempt
 * timeouts, `408`, `409 idempotency_key_in_use`, `429`, `502`, `503`, `504`; GET always, POST
 * only with an `Idempotency-Key`; never any other `4xx`.
 *
 * @example
 * createClient({ baseUrl, token, retry: { limit: 5, maxDelayMs: 20_000 } })
 */
export interface RetryOptions {
  /**
   * Retries after the first attempt (so `limit + 1` attempts in all). `0` turns retries off.
   * @default 2
   */
  limit?: number;
  /**
   * Backoff before the first retry; it doubles per retry, with full jitter.
   * @default 500
   */
  initialDelayMs?: number;
  /**
   * Cap of the backoff (before jitter).
   * @default 8000
   */
  maxDelayMs?: number;
  /**
   * A `Retry-After` longer than this is not slept on: the answer is thrown as an `ApiError`
   * whose `retryAfterMs` says when to come back.
   * @default 60000
   */
  maxRetryAfterMs?: number;
}

/**
 * Options of `createClient`. `baseUrl` is required unless `ASYNC_JOBS_BASE_URL` is set.
 *
 * @example
 * const client = createClient({ baseUrl: "https://jobs.example.com", getToken: () => auth.token() })
 */
export interface ClientOptions {
  /**
   * The server's origin (and path prefix, if any), e.g. `https://jobs.example.com`.
   * @default process.env.ASYNC_JOBS_BASE_URL (where `process.env` exists)
   */
  baseUrl?: string | undefined;
  /**
   * Bearer token sent as `Authorization: Bearer <token>`.
   * @default process.env.ASYNC_JOBS_TOKEN (where `process.env` exists)
   */
  token?: string | undefined;
  /** Called before each request for a fresh token (takes precedence over `token`). */
  getToken?: (() => string | Promise<string>) | undefined;
  /**
   * The `fetch` to use; inject one for tests, proxies or instrumentation.
   * @default globalThis.fetch (looked up at each request)
   */
  fetch?: typeof fetch | undefined;
  /**
   * Per-attempt timeout in milliseconds; a long poll adds its wait to it.
   * @default 30000
   */
  timeoutMs?: number | undefined;
  /** Retry policy; `false` is `{ limit: 0 }`. @default { limit: 2, initialDelayMs: 500, maxDelayMs: 8000, maxRetryAfterMs: 60000 } */
  retry?: RetryOptions | false | undefined;
  /** Extra headers sent with every request. @default {} */
  headers?: Record<string, string> | undefined;
  /** Sent as `User-Agent` where the runtime allows it (servers, Workers, Deno, Bun). @default undefined (the runtime's) */
  userAgent?: string | undefined;
  /**
   * ky hooks run on every API call and part upload (`beforeRequest`, `afterResponse`,
   * `beforeRetry`, `beforeError`): auth refresh, logging, tracing. See docs/sdk.md.
   * @default {}
   */
  hooks?: Hooks | undefined;
  /**
   * Time source of retry waits; inject a fake one in tests instead of patching timers.
   * @default the system clock
   */
  clock?: RetryClock | undefined;
  /**
   * Schemas per job type (zod, Valibot, ArkType: any Standard Schema v1), e.g. the same
   * `{ input, result }` the server's `defineJobType` takes. A wait then checks the `result` of
   * a succeeded job (throwing `ResultValidationError`) and returns the schema's output; `submit`
   * checks `input` before sending. The types follow: `submitAndWait` returns the schema's type.
   * @default undefined (nothing checked; no schema library loaded)
   */
  jobTypes?: JobTypeSchemas | undefined;
}

/** The defaults, in one place. */
export const defaultClientOptions = {
  timeoutMs: 30_000,
  retry: { limit: 2, initialDelayMs: 500, maxDelayMs: 8_000, maxRetryAfterMs: 60_000 },
  headers: {},
} as const satisfies Partial<ClientOptions>;

/** `ClientOptions` with every default applied. */
export interface ResolvedClientOptions {
  baseUrl: string;
  getToken: (() => string | Promise<string>) | undefined;
  fetch: typeof fetch;
  timeoutMs: number;
  retry: RetryPolicy;
  headers: Record<string, string>;
  hooks: Hooks | undefined;
  jobTypes: JobTypeSchemas | undefined;
}

/** The environment variables `createClient` reads its defaults from (the CLI reads the same). */
export const environmentVariables = { baseUrl: "ASYNC_JOBS_BASE_URL", token: "ASYNC_JOBS_TOKEN" } as const;

/**
 * Fills `baseUrl` and `token` from `ASYNC_JOBS_BASE_URL` / `ASYNC_JOBS_TOKEN` where a
 * `process.env` exists (Node, Bun, Deno; not browsers or Workers). Called with no options at
 * all, both must be set: a client configured from nothing but the environment and missing its
 * token is a deployment mistake, reported here rather than as a `401` later. Explicit options
 * keep the token optional (a server without auth, a test).
 *
 * @example
 * withEnvironmentDefaults(undefined) // { baseUrl: env.ASYNC_JOBS_BASE_URL, token: env.ASYNC_JOBS_TOKEN }
 */
export function withEnvironmentDefaults(options: ClientOptions | undefined): ClientOptions {
  const env = (globalThis as { process?: { env?: Record<string, string | undefined> } }).process?.env ?? {};
  const baseUrl = options?.baseUrl ?? env[environmentVariables.baseUrl];
  const token = options?.token ?? (options?.getToken ? undefined : env[environmentVariables.token]);
  if (options === undefined && !token) {
    throw new TypeError(`createClient(): set ${environmentVariables.token} or pass { baseUrl, token }`);
  }
  return { ...options, baseUrl, token };
}

/**
 * Applies the defaults. Throws a `TypeError` for a missing `baseUrl`.
 *
 * @example
 * resolveClientOptions({ baseUrl: "http://127.0.0.1:8080" }).retry.limit // 2
 */
export function resolveClientOptions(options: ClientOptions): ResolvedClientOptions {
  if (!options || typeof options.baseUrl !== "string" || !options.baseUrl) {
    throw new TypeError(`createClient(): set ${environmentVariables.baseUrl} or pass { baseUrl }`);
  }
  const { token, getToken, fetch: customFetch } = options;
  const headers: Record<string, string> = { ...defaultClientOptions.headers, ...options.headers };
  if (options.userAgent) headers["user-agent"] = options.userAgent;
  return {
    baseUrl: options.baseUrl.replace(/\/+$/, ""),
    getToken: getToken ?? (token === undefined ? undefined : () => token),
    // Looked up per request so that a fetch patched later (msw, instrumentation) is used.
    fetch: customFetch ?? ((input, init) => globalThis.fetch(input, init)),
    timeoutMs: options.timeoutMs ?? defaultClientOptions.timeoutMs,
    retry: {
      ...defaultClientOptions.retry,
      ...(options.retry === false ? { limit: 0 } : stripUndefined(options.retry ?? {})),
      clock: options.clock ?? systemClock,
    },
    headers,
    hooks: options.hooks,
    jobTypes: options.jobTypes,
  };
}

function stripUndefined<T extends object>(o: T): Partial<T> {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as Partial<T>;
}
