// The load generator's process: autocannon runs and held long polls, so the server's process
// keeps the machine's cores to itself as far as it can (started by load-generator.ts).
// @ts-expect-error autocannon ships no type declarations
import autocannonUntyped from "autocannon";
import type { CannonFigures, CannonRequest, LoadRequest, WakeFigures, WakeRequest } from "./load-messages.ts";
import { useSourceConditions } from "./source-conditions.ts";

type CannonResult = { requests: { average: number; total: number }; non2xx: number; errors: number };
const autocannon = autocannonUntyped as (options: Record<string, unknown>) => Promise<CannonResult>;

let run = 0;
async function cannon(job: CannonRequest): Promise<CannonFigures> {
  run++;
  let key = 0;
  const options = { ...job.options };
  if (job.idempotencyKeys) {
    options.requests = [{ setupRequest: (req: any) => ({ ...req, headers: { ...req.headers, "idempotency-key": `"k-${run}-${key++}"` } }) }];
  }
  const result = await autocannon(options);
  return { rps: result.requests.average, total: result.requests.total, non2xx: result.non2xx, errors: result.errors };
}

async function wake(job: WakeRequest): Promise<WakeFigures> {
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

process.on("message", async (job: LoadRequest) => {
  process.send!(job.kind === "cannon" ? await cannon(job) : await wake(job));
});
