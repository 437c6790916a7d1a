import { existsSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { afterAll, expect, test } from "vitest";
import type { StoredJob } from "../../src/store/job-store.ts";
import { startRetentionSweep } from "../../src/store/retention-sweep.ts";
import { openSqliteJobStore } from "../../src/store/sqlite/sqlite-job-store.ts";
import { createUploadsFeature } from "../../src/uploads/index.ts";

// Issue 13, finding 16: jobs, keys and uploads past their lifetimes are deleted (clock injected).

const dir = mkdtempSync(join(tmpdir(), "retention-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const DAY = 86_400_000;

test("a sweep deletes keys after 24 h, ended jobs and completed uploads (with their bytes) after their lifetimes", async () => {
  let clock = Date.UTC(2030, 0, 1);
  const now = () => clock;
  const path = join(dir, "jobs.db");
  const store = await openSqliteJobStore({ path, now });
  const feature = createUploadsFeature({ store: `sqlite:${path}`, blobs: join(dir, "blobs"), minPartSize: 1, now, retainCompletedMs: 3 * DAY });
  await feature.migrate();
  const sweep = startRetentionSweep({ store, uploads: feature, everyMs: 0, now });
  try {
    const create = async (idempotency?: { key: string; fingerprint: string; ttlMs: number }) =>
      ((await store.createJob({ tenant: "acme", type: "conformance.echo", input: {}, metadata: {}, maxAttempts: 1, webhookUrl: null, idempotency })) as { job: StoredJob }).job;
    const ended = await create({ key: "k", fingerprint: "f", ttlMs: DAY });
    const [claimed] = await store.claimJobs({ workerId: "w", limit: 1, leaseMs: 60_000 });
    await store.completeJob({ id: claimed!.id, leaseToken: claimed!.leaseToken! }, { ok: true });
    const queued = await create();

    const upload = await feature.service.create("acme", "http://127.0.0.1:1", { filename: "a", content_type: "text/plain", size: 3 });
    const q = Object.fromEntries(new URL(upload.parts[0]!.url!).searchParams) as Record<string, string>;
    const etag = await feature.service.putPart({
      uploadId: upload.id, number: 1, size: 3, expires: Number(q.expires), signature: q.signature!,
      body: (async function* () { yield Buffer.from("abc"); })(),
    });
    await feature.service.complete("acme", upload.id, { parts: [{ number: 1, etag }] });
    const bytes = join(dir, "blobs", "uploads", upload.id);
    expect(existsSync(bytes)).toBe(true);

    expect(await sweep.sweepOnce()).toMatchObject({ jobs: 0, keys: 0, uploads: { purged: 0 } });
    clock += DAY + 1;
    expect(await sweep.sweepOnce()).toMatchObject({ jobs: 0, keys: 1, uploads: { purged: 0 } });
    expect(await store.getJob("acme", ended.id)).toMatchObject({ status: "succeeded" });

    clock += 2 * DAY; // the completed upload's 3 days are up; the job's 7 are not
    expect(await sweep.sweepOnce()).toMatchObject({ jobs: 0, uploads: { purged: 1 } });
    await expect(feature.service.get("acme", upload.id)).rejects.toMatchObject({ code: "not_found" });
    expect(existsSync(bytes)).toBe(false);

    clock += 4 * DAY; // past the ended job's expires_at (7 days after it ended)
    expect(await sweep.sweepOnce()).toMatchObject({ jobs: 1, keys: 0 });
    expect(await store.getJob("acme", ended.id)).toBeUndefined();
    expect(await store.getJob("acme", queued.id)).toMatchObject({ status: "queued" });
  } finally {
    await sweep.stop();
    await feature.close();
    await store.close();
  }
});

test("the sweep runs on its own every everyMs", async () => {
  let clock = Date.UTC(2030, 0, 1);
  const store = await openSqliteJobStore({ path: join(dir, "periodic.db"), now: () => clock });
  await store.createJob({ tenant: "acme", type: "x", input: {}, metadata: {}, maxAttempts: 1, webhookUrl: null });
  const [job] = await store.claimJobs({ workerId: "w", limit: 1, leaseMs: 60_000 });
  await store.completeJob({ id: job!.id, leaseToken: job!.leaseToken! }, null);
  clock += 8 * DAY;
  const sweep = startRetentionSweep({ store, everyMs: 20, now: () => clock });
  for (let i = 0; i < 100 && (await store.getJob("acme", job!.id)); i++) await sleep(20);
  expect(await store.getJob("acme", job!.id)).toBeUndefined();
  await sweep.stop();
  await store.close();
});
