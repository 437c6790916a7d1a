/** An autocannon run the parent asks for; each POST gets a fresh Idempotency-Key when `idempotencyKeys`. */
export interface CannonRequest {
  kind: "cannon";
  options: Record<string, unknown>;
  idempotencyKeys?: boolean;
}

export interface CannonFigures {
  rps: number;
  /** Requests answered in the run. */
  total: number;
  non2xx: number;
  errors: number;
}

/**
 * Long polls held on every one of `ids` at once; then `samples` of them, one at a time, are woken
 * by a cancel (through the API: committed in the server's process; or through a store of this
 * process: committed by another process), each timed from just before the cancel to the answer.
 */
export interface WakeRequest {
  kind: "wake";
  url: string;
  token: string;
  ids: string[];
  samples: number;
  /** `http`: POST …/cancel to the server; otherwise the `--store` URL this process cancels through. */
  cancelVia: "http" | string;
  tenant: string;
}

export interface WakeFigures {
  /** Wake latencies, ms, ascending. */
  latencies: number[];
  /** Polls that were answered before their cancel (not held). */
  early: number;
}

export type LoadRequest = CannonRequest | WakeRequest;
