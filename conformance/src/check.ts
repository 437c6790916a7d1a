import type { HttpClient, RecordedExchange } from "./http-recorder.ts";
import type { WebhookReceiver } from "./webhook-receiver.ts";

/** RFC 2119 level of the clause a check enforces; only MUST failures fail the run. */
export type Level = "MUST" | "SHOULD";

/**
 * What a check needs from the server or the run. The runner skips a check (never fails it) with
 * a reason when a need is missing.
 */
export type Need =
  | "echo" // the server lists `conformance.echo` (spec §2, a SHOULD)
  | "checksum" // the server lists `file.checksum`
  | "gzip" // the server lists `file.gzip`
  | "other-token" // --other-token: a second tenant
  | "webhook" // the suite's receiver is running
  | "webhook-secret" // --webhook-secret, to verify signatures
  | "webhook-retry" // --webhook-retry-wait-s: how long one retry may take
  | "lease" // --lease-timeout-s, short enough to wait for
  | "part-url-ttl" // --part-url-ttl-s, short enough to wait for
  | "rate-limit" // --rate-limit N/Ws: the server's per-tenant submit rate, small enough to exceed
  | "private-webhooks-refused"; // --private-webhooks refused: the server runs a production config

/** Options a check can read, already resolved and scaled. */
export interface CheckSettings {
  readonly baseUrl: string;
  readonly token: string;
  readonly otherToken: string | undefined;
  readonly webhookSecret: string | undefined;
  readonly leaseTimeoutS: number | undefined;
  readonly partUrlTtlS: number | undefined;
  readonly webhookRetryWaitS: number | undefined;
  /** The server's per-tenant submit rate (`--rate-limit N/Ws`). */
  readonly rateLimit: { readonly limit: number; readonly windowS: number } | undefined;
  readonly timeoutScale: number;
  /** What the run was told about private webhook URLs (`--private-webhooks`). */
  readonly privateWebhooks?: "refused" | "allowed" | undefined;
  readonly jobTypes: readonly string[];
}

/**
 * What `run` gets. Every request goes through `http`, so a failure carries the exchanges that
 * prove it.
 */
export interface CheckContext {
  readonly settings: CheckSettings;
  /** Raw HTTP with the main token by default (`token: null` sends none). */
  readonly http: HttpClient;
  /** The webhook receiver; only present for checks that need "webhook". */
  readonly receiver: WebhookReceiver | undefined;
  /** Aborted when the check times out or the run is stopped. */
  readonly signal: AbortSignal;
  /** Sleeps `ms` times the timeout scale; rejects when the check is aborted. */
  sleep(ms: number, opts?: { unscaled?: boolean }): Promise<void>;
  /** `ms` times the timeout scale. */
  scaled(ms: number): number;
  /** Memoized per run: checks that observe the same job share one observation. */
  fixture<T>(key: string, create: (ctx: CheckContext) => Promise<T>): Promise<T>;
  /** A short note kept in the report (e.g. "server does not honour Prefer: wait"). */
  note(message: string): void;
  /** A unique, readable suffix for keys and metadata. */
  unique(prefix: string): string;
}

/**
 * A conformance check: data plus one async function.
 *
 * @example
 * const check: Check = {
 *   id: "health.ok", clause: "§5 Health", level: "MUST", title: "GET /healthz is 200 {status:ok}",
 *   needs: [], async run(ctx) { const res = await ctx.http.request("GET", "/healthz", { token: null }); expectStatus(res, 200); },
 * };
 */
export interface Check {
  /** Stable, dotted id (`section.what`); `--only`/`--skip` glob over it. */
  readonly id: string;
  /** The spec clause (docs/spec.md) it enforces, e.g. "§2 Submit". */
  readonly clause: string;
  readonly level: Level;
  readonly title: string;
  readonly needs: readonly Need[];
  /** Time budget before scaling; default 15 s. */
  readonly timeoutMs?: number;
  /** Runs alone, after every other check (it uses up a quota the others would hit). */
  readonly exclusive?: boolean;
  run(ctx: CheckContext): Promise<void>;
}

/**
 * Thrown by assertions: the check fails, with the exchanges that prove it.
 *
 * @example
 * throw new CheckFailure("expected 202, got 200", [res.exchange]);
 */
export class CheckFailure extends Error {
  override readonly name = "CheckFailure";
  readonly evidence: readonly RecordedExchange[] | undefined;
  constructor(message: string, evidence?: readonly RecordedExchange[]) {
    super(message);
    this.evidence = evidence;
  }
}

/**
 * A step the check needs before it can test its clause (e.g. submitting a job) failed: the check
 * is blocked, and the report says "setup failed" instead of blaming the clause it tests.
 *
 * @example
 * throw new SetupFailure("submit conformance.echo", failure);
 */
export class SetupFailure extends CheckFailure {
  constructor(
    readonly step: string,
    cause: CheckFailure,
  ) {
    super(`setup failed (${step}): ${cause.message}`, cause.evidence);
  }
}

/**
 * Runs a setup step: its assertion failures become a `SetupFailure`.
 *
 * @example
 * const job = await setup("submit conformance.echo", () => submitAndExpect202(ctx));
 */
export async function setup<T>(step: string, run: () => T | Promise<T>): Promise<T> {
  try {
    return await run();
  } catch (error) {
    if (error instanceof CheckFailure && !(error instanceof SetupFailure)) throw new SetupFailure(step, error);
    throw error;
  }
}

/**
 * Thrown to skip: the server lacks something optional, so the check cannot say.
 *
 * @example
 * throw new CheckSkip("no conformance.echo");
 */
export class CheckSkip extends Error {
  override readonly name = "CheckSkip";
}

/**
 * Fails the running check unless `condition` holds.
 *
 * @example
 * expect(res.status === 202, `expected 202, got ${res.status}`, res.exchange);
 */
export function expect(
  condition: unknown,
  message: string,
  ...evidence: (RecordedExchange | undefined)[]
): asserts condition {
  if (!condition) {
    throw new CheckFailure(
      message,
      evidence.filter((e): e is RecordedExchange => e !== undefined),
    );
  }
}

/**
 * Skips the running check with a reason.
 *
 * @example
 * if (!honoured) skip("server does not honour Prefer: wait (a MAY)");
 */
export function skip(reason: string): never {
  throw new CheckSkip(reason);
}
