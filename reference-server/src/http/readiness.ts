import type { JobStore } from "../store/job-store.ts";
import { STORE_RETRY_AFTER_S } from "../store/store-unavailable.ts";
import type { OperationHandler } from "./operation-handler.ts";
import { ProblemError } from "./problems.ts";

/**
 * `GET /readyz` (operationId `getReadiness`): `200 {"status":"ready"}` when the store answers a
 * lookup within `timeoutMs`, else `503 overloaded` with `Retry-After`, so a load balancer takes
 * this process out of rotation while its database is unreachable and back once it answers.
 * Liveness stays `/healthz`: a process waiting for its database must not be restarted for it.
 *
 * @example
 * createJobHandlers(deps) + { getReadiness: createReadinessHandler(store) }
 */
export function createReadinessHandler(store: JobStore, timeoutMs = 2_000): OperationHandler<"getReadiness"> {
  return async () => {
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<"timeout">((resolve) => {
      timer = setTimeout(() => resolve("timeout"), timeoutMs);
    });
    // A lookup of an id that never exists: one index probe, through the same pool as requests.
    const probe = store.getJob("", "job_readiness_probe").then(
      () => "ok" as const,
      (error: unknown) => error,
    );
    const outcome = await Promise.race([probe, timeout]).finally(() => clearTimeout(timer));
    if (outcome === "ok") return { status: "ready" };
    throw new ProblemError(
      "overloaded",
      outcome === "timeout" ? `The store did not answer within ${timeoutMs} ms.` : "The store is unavailable.",
      { headers: { "Retry-After": String(STORE_RETRY_AFTER_S) } },
    );
  };
}
