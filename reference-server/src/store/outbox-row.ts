import type { DeliveryRecord, OutboxEvent } from "./job-store.ts";

/** An `events` row as a claim returns it (either dialect). */
export interface EventRow {
  id: string;
  tenant: string;
  job_id: string;
  type: string;
  url: string;
  payload: string;
  attempts: number;
  traceparent: string | null;
  tracestate: string | null;
}

/**
 * The select list that adds an event's job's trace context to a claimed event (spec §8.6), the
 * same on both dialects: the claim's RETURNING reads it from the job, so no event row copies it.
 */
export const EVENT_TRACE = `(SELECT j.traceparent FROM jobs j WHERE j.id = job_id) AS traceparent,
  (SELECT j.tracestate FROM jobs j WHERE j.id = job_id) AS tracestate`;

/** A `deliveries` row (either dialect; pg returns BIGINT as a string). */
export interface DeliveryRow {
  event_id: string;
  attempt: number;
  status_code: number | null;
  error: string | null;
  at: number | string;
  next_attempt_at: number | string | null;
  state: DeliveryRecord["state"];
}

/**
 * An outbox event from its row.
 *
 * @example
 * rows.map(decodeEventRow)
 */
export function decodeEventRow(row: EventRow): OutboxEvent {
  const trace = row.traceparent === null ? null : { traceparent: row.traceparent, tracestate: row.tracestate };
  return { id: row.id, tenant: row.tenant, jobId: row.job_id, type: row.type, url: row.url, payload: row.payload, attempts: row.attempts, trace };
}

/**
 * A delivery attempt from its row.
 *
 * @example
 * rows.map(decodeDeliveryRow)
 */
export function decodeDeliveryRow(row: DeliveryRow): DeliveryRecord {
  return {
    eventId: row.event_id,
    attempt: row.attempt,
    statusCode: row.status_code,
    error: row.error,
    at: Number(row.at),
    nextAttemptAt: row.next_attempt_at === null ? null : Number(row.next_attempt_at),
    state: row.state,
  };
}
