import pg from "pg";
import type { Change } from "../../change-notifier.ts";

/** The NOTIFY channel every process of one deployment shares. */
export const DEFAULT_CHANNEL = "async_jobs";

/**
 * The NOTIFY payload of a change: `j <origin> <status> <jobId> <tenant>` or `o <origin>`
 * (outbox). Space-separated text so SQL can build it per row with `concat_ws` (the job
 * statements do); the tenant is last because only it may contain spaces. The origin names
 * the store instance that committed the change, which emitted it locally already.
 *
 * @example
 * encodeChange("a1b2", { kind: "job", jobId: "job_1", status: "running" }, "t1"); // "j a1b2 running job_1 t1"
 */
export function encodeChange(origin: string, change: Change, tenant = ""): string {
  if (change.kind === "job") return `j ${origin} ${change.status} ${change.jobId} ${tenant}`;
  return `o ${origin}`;
}

/**
 * Parses a payload written by {@link encodeChange}; `undefined` for anything else.
 *
 * @example
 * decodeChange("j a1b2 running job_1 t1"); // { origin: "a1b2", change: { kind: "job", jobId: "job_1", status: "running" }, tenant: "t1" }
 */
export function decodeChange(payload: string): { origin: string; change: Change; tenant?: string } | undefined {
  const parts = payload.split(" ");
  if (parts[0] === "o" && parts.length === 2) return { origin: parts[1]!, change: { kind: "outbox" } };
  if (parts[0] === "j" && parts.length >= 5) {
    return {
      origin: parts[1]!,
      change: { kind: "job", jobId: parts[3]!, status: parts[2]! },
      tenant: parts.slice(4).join(" "),
    };
  }
  return undefined;
}

export interface ChangeListenerOptions {
  url: string;
  channel?: string;
  /** Called for every decoded notification (including this process's own; filter by origin). */
  onChange: (origin: string, change: Change) => void;
  /** Called after the connection came back: notifications sent meanwhile are lost, so re-check. */
  onReconnect: () => void;
  /** First reconnect delay; doubles up to 2 s. @default 50 */
  retryMs?: number;
  log?: (message: string, error?: unknown) => void;
}

/** A dedicated LISTEN connection; `ready` resolves once the first LISTEN is active. */
export interface ChangeListener {
  readonly ready: Promise<void>;
  /** The backend pid of the current connection (tests terminate it to prove reconnection). */
  backendPid(): number | undefined;
  close(): Promise<void>;
}

/**
 * Keeps one client LISTENing on the channel and reconnects (with backoff) whenever it drops,
 * so a long poll in this process wakes on changes committed by any other process.
 * A pooled client cannot do this: LISTEN belongs to one session, and the pool recycles them.
 *
 * @example
 * const listener = listenForChanges({ url, onChange: (origin, c) => changes.emit(c), onReconnect: () => {} });
 * await listener.ready;
 */
export function listenForChanges(options: ChangeListenerOptions): ChangeListener {
  const channel = options.channel ?? DEFAULT_CHANNEL;
  if (!/^[a-z_][a-z0-9_]*$/.test(channel)) throw new Error(`bad channel name ${channel}`);
  const log = options.log ?? (() => {});
  const firstDelay = options.retryMs ?? 50;
  let client: pg.Client | undefined;
  let closed = false;
  let delay = firstDelay;
  let timer: NodeJS.Timeout | undefined;
  let connectedOnce = false;
  let markReady!: () => void;
  let failReady!: (error: unknown) => void;
  const ready = new Promise<void>((resolve, reject) => {
    markReady = resolve;
    failReady = reject;
  });

  async function connect() {
    timer = undefined;
    if (closed) return;
    // keepAlive notices a peer that vanished without closing the socket (a half-open connection).
    const next = new pg.Client({ connectionString: options.url, keepAlive: true, application_name: "async-jobs-listener" });
    let dropped = false;
    const drop = (error?: unknown) => {
      if (dropped) return;
      dropped = true;
      if (client === next) client = undefined;
      next.removeAllListeners("notification");
      next.end().catch(() => {});
      if (closed) return;
      log("change listener lost its connection; reconnecting", error);
      schedule();
    };
    next.on("error", drop);
    next.on("end", () => drop());
    next.on("notification", (message) => {
      if (message.channel !== channel || message.payload === undefined) return;
      const decoded = decodeChange(message.payload);
      if (decoded) options.onChange(decoded.origin, decoded.change);
    });
    try {
      await next.connect();
      await next.query(`LISTEN ${channel}`);
    } catch (error) {
      if (!connectedOnce) failReady(error);
      drop(error);
      return;
    }
    if (closed || dropped) {
      next.end().catch(() => {});
      return;
    }
    client = next;
    delay = firstDelay;
    if (connectedOnce) options.onReconnect();
    else markReady();
    connectedOnce = true;
  }

  function schedule() {
    if (closed || timer) return;
    timer = setTimeout(() => void connect(), delay);
    timer.unref();
    delay = Math.min(delay * 2, 2_000);
  }

  void connect();
  ready.catch(() => {}); // a failed first connect keeps retrying; whoever awaits `ready` sees the error

  return {
    ready,
    backendPid: () => (client as unknown as { processID?: number } | undefined)?.processID,
    async close() {
      closed = true;
      if (timer) clearTimeout(timer);
      const current = client;
      client = undefined;
      if (current) await current.end().catch(() => {});
    },
  };
}
