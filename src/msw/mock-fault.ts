import { isProblemCode } from "../protocol/problem-registry.ts";
import { formatRetryAfter } from "../protocol/retry-after.ts";
import { ProblemError, problemResponse } from "./problem-response.ts";

/**
 * A fault the mock answers instead of (or after) handling a request: overload, rate limits,
 * lost connections, slow answers. Faults are consumed in the order they were injected.
 *
 * @example
 * mock.inject({ status: 503, times: 2 });                       // the next two requests get 503 overloaded
 * mock.inject({ method: "POST", path: "/v1/jobs", network: true, afterHandling: true }); // job stored, answer lost
 */
export interface MockFault {
  /** Only requests with this method. @default any */
  method?: string;
  /** Only requests whose path (from the base URL, e.g. `/v1/jobs`) equals this string or matches this RegExp. @default any */
  path?: string | RegExp;
  /** Answer this status as problem+json: 429 `rate_limited`, 503 `overloaded`, others `internal`. */
  status?: number;
  /** The problem code to answer with. @default from `status` */
  code?: string;
  /** `Retry-After` seconds sent with the fault. @default 0 */
  retryAfterSeconds?: number;
  /** Fail like a dropped connection (a `TypeError` from `fetch`). */
  network?: boolean;
  /** Real milliseconds to wait before answering (or before handling, without `status`/`network`). */
  delayMs?: number;
  /** Handle the request first (the job is stored), then answer with the fault: a lost response. */
  afterHandling?: boolean;
  /** How many matching requests get the fault. @default 1 */
  times?: number;
}

/**
 * Finds the first live fault for a request and uses it up.
 *
 * @example
 * const fault = takeFault(faults, "POST", "/v1/jobs");
 */
export function takeFault(faults: MockFault[], method: string, path: string): MockFault | undefined {
  const index = faults.findIndex(
    (f) =>
      (!f.method || f.method.toUpperCase() === method) &&
      (f.path === undefined || (typeof f.path === "string" ? f.path === path : f.path.test(path))),
  );
  if (index < 0) return undefined;
  const fault = faults[index]!;
  const left = (fault.times ?? 1) - 1;
  if (left <= 0) faults.splice(index, 1);
  else faults[index] = { ...fault, times: left };
  return fault;
}

/** Default problem code per injected status. */
export function faultCode(fault: MockFault): string {
  return fault.code ?? (fault.status === 429 ? "rate_limited" : fault.status === 503 ? "overloaded" : "internal");
}

/**
 * Answers a request through a fault: waits its delay, handles the request unless the fault
 * replaces the answer (or handles it first with `afterHandling`), then answers the fault's
 * status, or `"network-error"` for a dropped connection. Without a fault it is `answer()`.
 *
 * @example
 * const response = await answerThroughFault(takeFault(faults, "GET", path), () => route(request));
 */
export async function answerThroughFault(fault: MockFault | undefined, answer: () => Promise<Response>): Promise<Response | "network-error"> {
  if (!fault) return answer();
  if (fault.delayMs) await new Promise((resolve) => setTimeout(resolve, fault.delayMs));
  const replaces = Boolean(fault.status || fault.network);
  const handled = !replaces || fault.afterHandling ? await answer() : undefined;
  if (fault.network) return "network-error";
  if (!fault.status) return handled!;
  const code = faultCode(fault);
  return problemResponse(
    new ProblemError(code, "Injected by the async-jobs msw mock.", {
      status: fault.status,
      // A code of the test's own has no registry title: the code says it best.
      title: isProblemCode(code) ? undefined : code,
      headers: { "retry-after": formatRetryAfter(fault.retryAfterSeconds ?? 0) },
    }),
  );
}
