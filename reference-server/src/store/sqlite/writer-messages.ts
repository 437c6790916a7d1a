import type { Change } from "../../change-notifier.ts";
import type { WriteCommands } from "./write-commands.ts";

/** A write command's name. */
export type WriteOp = keyof WriteCommands;
/** What a write command takes. */
export type WriteArgs<K extends WriteOp> = Parameters<WriteCommands[K]>[0];
/** What a write command returns. */
export type WriteResult<K extends WriteOp> = ReturnType<WriteCommands[K]>;

/** What the writer thread is started with (its `workerData`). */
export interface WriterSettings {
  path: string;
  busyTimeoutMs: number;
  /** How often other processes' commits (`PRAGMA data_version`) are looked for without a signal. */
  watchIntervalMs: number;
  webhookFirstDelayMs: number;
  maxRunningPerTenant: number;
}

/**
 * An error as it crosses the thread boundary: structured clone keeps neither its class nor
 * its `code`, and the `code` is what the store's error translation reads (SQLITE_BUSY, SQLITE_FULL).
 */
export interface WireError {
  name: string;
  message: string;
  code?: string;
  stack?: string;
}

export type ToWriter =
  | { type: "write"; items: { id: number; op: WriteOp; args: unknown }[] }
  /** Commit what is queued, close the connection, end the thread. */
  | { type: "close" };

export type FromWriter =
  | { type: "ready" }
  /** The thread could not open the file or prepare its statements; it ends. */
  | { type: "failed"; error: WireError }
  /** One batch committed (or not): each write's outcome, the changes to announce, the lines to log. */
  | {
      type: "done";
      results: ({ id: number; ok: true; value: unknown } | { id: number; ok: false; error: WireError })[];
      changes: Change[];
      logs: { message: string; error?: WireError }[];
    }
  /** Another process committed to the file. */
  | { type: "external" };

/**
 * An error as it crosses to the event loop's thread.
 *
 * @example
 * results.push({ id, ok: false, error: toWireError(error) });
 */
export function toWireError(error: unknown): WireError {
  if (!(error instanceof Error)) return { name: "Error", message: String(error) };
  const code = (error as { code?: unknown }).code;
  return { name: error.name, message: error.message, stack: error.stack, ...(typeof code === "string" ? { code } : {}) };
}

/**
 * The thread's error as an `Error` again, `code` and all.
 *
 * @example
 * reject(fromWireError(result.error));
 */
export function fromWireError(wire: WireError): Error {
  const error = new Error(wire.message) as Error & { code?: string };
  error.name = wire.name;
  if (wire.code !== undefined) error.code = wire.code;
  if (wire.stack !== undefined) error.stack = wire.stack;
  return error;
}
