import { afterAll, beforeAll, expect, test } from "vitest";
import type { StoredJob } from "../../src/store/job-store.ts";
import { openPostgresJobStore, type PostgresJobStore } from "../../src/store/postgres/postgres-job-store.ts";
import { createTestDatabase } from "../support/test-database.ts";

// Issue 13, finding 10: on Postgres, leases run on the database's clock. Processes whose clocks
// disagree (one a minute slow, one a minute fast) neither lose a live lease nor keep a dead one.

let url: string;
const opened: PostgresJobStore[] = [];
const open = async (skewMs: number) => {
  const store = await openPostgresJobStore({ url, now: () => Date.now() + skewMs });
  opened.push(store);
  return store;
};

beforeAll(async () => {
  url = await createTestDatabase(`lease_clock_${process.pid}`);
});
afterAll(async () => {
  await Promise.all(opened.map((s) => s.close()));
});

test("a slow worker's fresh lease is not expired for others, nor does a fast recoverer take it", async () => {
  const [slow, exact, fast] = await Promise.all([open(-60_000), open(0), open(60_000)]);
  const created = (await slow.createJob({ tenant: "t", type: "conformance.echo", input: {}, metadata: {}, maxAttempts: 3, webhookUrl: null })) as { job: StoredJob };
  const [claimed] = await slow.claimJobs({ workerId: "slow", limit: 1, leaseMs: 30_000 });
  expect(claimed?.id).toBe(created.job.id);
  const expires = claimed!.leaseExpiresAt!;
  expect(Math.abs(expires - (Date.now() + 30_000))).toBeLessThan(5_000);

  expect(await exact.recoverExpiredLeases()).toBe(0);
  expect(await fast.recoverExpiredLeases()).toBe(0);
  expect(await exact.getJob("t", claimed!.id)).toMatchObject({ status: "running", leaseToken: claimed!.leaseToken });

  // A heartbeat from the slow process extends the lease on the database's clock too.
  const beat = await slow.heartbeat([{ id: claimed!.id, leaseToken: claimed!.leaseToken! }], 30_000);
  expect(beat.get(claimed!.id)?.state).toBe("held");
  const renewed = (await exact.getJob("t", claimed!.id))!.leaseExpiresAt!;
  expect(Math.abs(renewed - (Date.now() + 30_000))).toBeLessThan(5_000);
});
