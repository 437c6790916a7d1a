import ky, { type Hooks, type KyInstance, isHTTPError, isTimeoutError } from "ky";
import { NetworkError } from "../errors.ts";
import { outcomeOf, retryDelay, type RetryPolicy } from "./retry-policy.ts";
import { injectTraceContext } from "./trace-context.ts";

/** Every method: which requests may be replayed is decided per call (`limit: 0` otherwise). */
const allMethods = ["get", "post", "put", "patch", "delete", "head", "options"];

/**
 * The ky instance of a client: the user's hooks, and HTTP errors thrown, since ky retries
 * only what it sees thrown (`send` hands the last answer back as a response).
 *
 * @example
 * const engine = createEngine({ beforeRequest: [(request) => log(request)] })
 */
export function createEngine(hooks: Hooks | undefined): KyInstance {
  // ky throws HTTP errors by default: it retries only those. The trace hook runs first (spec §8.6).
  return ky.create({ hooks: { ...hooks, beforeRequest: [injectTraceContext, ...(hooks?.beforeRequest ?? [])] } });
}

/** How one call is sent through the engine. */
export interface SendOptions {
  policy: RetryPolicy;
  /** Retries allowed for this call (0: sent once). */
  limit: number;
  /** Sends one attempt (the client's fetch, or a part transport). */
  fetch: (request: Request) => Promise<Response>;
  /** Per-attempt timeout (ky's `timeout` applies to each attempt); `false` for none. */
  timeoutMs: number | false;
  signal?: AbortSignal | undefined;
}

/**
 * Sends `request` with ky, retrying by the ONE policy (spec §6.2), and resolves with the last
 * answer whatever its status (the typed API client and `toApiError` read it); rejects with
 * `NetworkError` when no answer came and with the signal's reason on abort.
 *
 * ky's own rules are replaced where the protocol differs: `shouldRetry` asks the policy
 * (409 by problem code, `Retry-After` over the cap surfaced, `500` final) and sleeps the
 * policy's wait on the policy's clock; ky's `delay` is then 0, so there is one sleep per retry.
 * Sleeping in `shouldRetry` rather than in `beforeRetry` keeps a user's `beforeRetry` hook
 * that returns a new `Request` (ky then skips later hooks) from skipping the wait.
 *
 * @example
 * const response = await send(engine, request, { policy, limit: 2, fetch, timeoutMs: 30_000 })
 */
export async function send(engine: KyInstance, request: Request, options: SendOptions): Promise<Response> {
  const { policy, signal } = options;
  try {
    return await engine(request, {
      fetch: options.fetch as typeof fetch, // ky calls it with a Request
      timeout: options.timeoutMs,
      ...(signal ? { signal } : {}),
      retry: {
        limit: options.limit,
        methods: allMethods,
        delay: () => 0,
        shouldRetry: async ({ error, retryCount }) => {
          if (signal?.aborted) return false;
          const outcome = await outcomeOf(error, policy.clock);
          const wait = outcome && retryDelay(policy, outcome, retryCount);
          if (wait === undefined) return false;
          // The body of an answer we drop would keep the connection busy.
          void (error as { response?: Response }).response?.body?.cancel().catch(() => undefined);
          await policy.clock.sleep(wait, signal);
          return true;
        },
      },
    });
  } catch (error) {
    if (signal?.aborted) throw signal.reason;
    if (isHTTPError(error)) return error.response;
    if (error instanceof NetworkError) throw error;
    const what = isTimeoutError(error) ? `no answer within ${options.timeoutMs} ms` : (error as Error)?.message;
    throw new NetworkError(`${request.method} ${request.url}: ${what}`, { cause: error });
  }
}
