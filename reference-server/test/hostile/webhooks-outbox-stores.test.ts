import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { CreateJobCommand, JobStore, StoredJob } from "../../src/store/job-store.ts";
import { openJobStore } from "../../src/store/open-job-store.ts";
import { createTestDatabase } from "../support/test-database.ts";

// What webhook fairness and back-pressure ask of the store, on both stores alike:
// a claim that skips full tenants, a deferral that does not count as an attempt, queued counts.

const command = (tenant: string): CreateJobCommand => ({
  tenant,
  type: "conformance.echo",
  input: {},
  metadata: {},
  maxAttempts: 3,
  webhookUrl: "http://127.0.0.1:9/hook",
});

let dir: string;
const stores: JobStore[] = [];
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), "aj-outbox-"));
});
afterAll(async () => {
  await Promise.all(stores.map((s) => s.close()));
  rmSync(dir, { recursive: true, force: true });
});

const opens: Record<string, () => Promise<JobStore>> = {
  sqlite: () => openJobStore(`sqlite:${join(dir, "jobs.db")}`),
  postgres: async () => openJobStore(await createTestDatabase(`outbox_${process.pid}`)),
};

describe.each(Object.keys(opens))("outbox and queue on %s", (name) => {
  let store: JobStore;
  const created: Record<string, StoredJob[]> = { a: [], b: [] };
  beforeAll(async () => {
    store = await opens[name]!();
    stores.push(store);
    for (const tenant of ["a", "a", "a", "b"]) {
      const outcome = await store.createJob(command(tenant));
      if (outcome.kind !== "created") throw new Error(outcome.kind);
      created[tenant]!.push(outcome.job);
    }
  });

  it("counts queued jobs per tenant and in all, up to a bound", async () => {
    expect(await store.countQueued("a", 10)).toBe(3);
    expect(await store.countQueued("b", 10)).toBe(1);
    expect(await store.countQueued("nobody", 10)).toBe(0);
    expect(await store.countQueued(null, 10)).toBe(4);
    expect(await store.countQueued(null, 2)).toBe(2);
  });

  it("claims events of the tenants not skipped; a deferred event is due again unattempted", async () => {
    // Canceling a queued job writes its job.canceled event to the outbox.
    for (const job of [...created.a!, ...created.b!]) await store.requestCancel(job.tenant, job.id);
    expect(await store.countQueued(null, 10)).toBe(0);
    const now = Date.now() + 1000;
    const onlyB = await store.claimDueEvents({ limit: 10, leaseMs: 60_000, now, skipTenants: ["a"] });
    expect(onlyB.map((e) => e.tenant)).toEqual(["b"]);
    const [first] = await store.claimDueEvents({ limit: 1, leaseMs: 60_000, now, skipTenants: ["b"] });
    expect(first).toMatchObject({ tenant: "a", attempts: 1 });
    await store.deferEvent(first!.id, now + 5_000);
    const before = await store.claimDueEvents({ limit: 10, leaseMs: 60_000, now: now + 4_000, skipTenants: ["b"] });
    expect(before.map((e) => e.id)).not.toContain(first!.id);
    expect(before).toHaveLength(2);
    const after = await store.claimDueEvents({ limit: 10, leaseMs: 60_000, now: now + 5_000, skipTenants: [] });
    expect(after).toEqual([expect.objectContaining({ id: first!.id, attempts: 1 })]);
  });
});
