// The load generator's held long polls (its child process runs them: see load-generator.ts).
import { useSourceConditions } from "../server/source-conditions.ts";

/**
 * Long polls held on every one of `ids` at once; then `samples` of them, one at a time, are woken
 * by a cancel (through the API: committed in the server's process; or through a store of this
 * process: committed by another process), each timed from just before the cancel to the answer.
 */
export interface WakeRequest {
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

/**
 * Holds the polls and times the wakes of a {@link WakeRequest}.
 *
 * @example
 * const { latencies } = await wakeHeldPolls({ url, token, tenant, ids, samples: 100, cancelVia: "http" });
 */
export async function wakeHeldPolls(job: WakeRequest): Promise<WakeFigures> {
  const auth = { authorization: `Bearer ${job.token}` };
  let cancelInStore: ((id: string) => Promise<unknown>) | undefined;
  let close = async () => {};
  if (job.cancelVia !== "http") {
    useSourceConditions();
    const { openJobStore } = await import("../../reference-server/src/store/open-job-store.ts");
    const store = await openJobStore(job.cancelVia);
    cancelInStore = (id) => store.requestCancel(job.tenant, id);
    close = () => store.close();
  }
  const abort = new AbortController();
  const arrived = new Map<string, number>();
  const waiters = new Map<string, () => void>();
  const polls = job.ids.map((id) =>
    fetch(`${job.url}/v1/jobs/${id}`, { headers: { ...auth, prefer: "wait=20" }, signal: abort.signal })
      .then(async (response) => {
        arrived.set(id, performance.now());
        waiters.get(id)?.();
        await response.text();
      })
      .catch(() => {}),
  );
  // Every poll reaches the server and is held before the first cancel.
  await new Promise((resolve) => setTimeout(resolve, 1000 + job.ids.length));
  const early = arrived.size;
  const latencies: number[] = [];
  for (const id of job.ids.slice(0, job.samples)) {
    if (arrived.has(id)) continue;
    const answered = new Promise<void>((resolve) => waiters.set(id, resolve));
    const t0 = performance.now();
    await (cancelInStore ? cancelInStore(id) : fetch(`${job.url}/v1/jobs/${id}/cancel`, { method: "POST", headers: auth }).then((r) => r.text()));
    await answered;
    latencies.push(arrived.get(id)! - t0);
  }
  abort.abort();
  await Promise.all(polls);
  await close();
  return { latencies: latencies.sort((a, b) => a - b), early };
}
