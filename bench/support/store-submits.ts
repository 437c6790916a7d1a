import { randomUUID } from "node:crypto";
import type { CreateJobCommand, JobStore } from "../../reference-server/src/store/job-store.ts";

/** A submit as the API makes it: `conformance.echo` with a fresh idempotency key. */
export const keyedSubmit = (i: number): CreateJobCommand => ({
  tenant: "t1",
  type: "conformance.echo",
  input: { value: i },
  metadata: {},
  maxAttempts: 3,
  webhookUrl: null,
  idempotency: { key: randomUUID(), fingerprint: `fp-${i}`, ttlMs: 86_400_000 },
});

/** Runs `callers` loops of `step` for `seconds`; returns operations per second. */
export async function rate(callers: number, seconds: number, step: () => Promise<number>): Promise<number> {
  const until = performance.now() + seconds * 1000;
  const started = performance.now();
  let done = 0;
  await Promise.all(
    Array.from({ length: callers }, async () => {
      while (performance.now() < until) {
        const n = await step(); // not `done += await step()`: that reads `done` before the await
        done += n;
      }
    }),
  );
  return done / ((performance.now() - started) / 1000);
}

/** Durable submits/s straight through a store (no HTTP), `callers` at a time. */
export function storeSubmits(store: JobStore, callers: number, seconds: number): Promise<number> {
  let i = 0;
  return rate(callers, seconds, async () => ((await store.createJob(keyedSubmit(i++))).kind === "created" ? 1 : 0));
}
