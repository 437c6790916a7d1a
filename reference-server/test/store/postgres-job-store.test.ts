import { execFile } from "node:child_process";
import { fileURLToPath } from "node:url";
import pg from "pg";
import { afterAll, beforeAll, describe, expect, inject, test } from "vitest";
import type { Change } from "../../src/change-notifier.ts";
import type { CreateJobCommand, Lease, StoredJob } from "../../src/store/job-store.ts";
import { decodeChange, encodeChange } from "../../src/store/postgres/listen-for-changes.ts";
import { openPostgresJobStore, type PostgresJobStore } from "../../src/store/postgres/postgres-job-store.ts";
import { postgresMigrations } from "../../src/store/postgres/schema.ts";
import { describeJobStore } from "./describe-job-store.ts";

// Postgres-only behaviour: what the shared suite cannot see with one connection in one process.

let admin: pg.Client;
let database: pg.Client;
let databaseUrl: URL;
let schemas = 0;
const opened: PostgresJobStore[] = [];

/**
 * A store URL of its own: a fresh schema (chosen by the libpq `options` parameter) in this file's
 * database. CREATE DATABASE costs about a second here; a schema costs milliseconds.
 */
async function freshDatabase(): Promise<string> {
  const schema = `s_${++schemas}`;
  await database.query(`CREATE SCHEMA ${schema}`);
  const url = new URL(databaseUrl);
  url.searchParams.set("options", `-c search_path=${schema}`);
  return url.toString();
}

async function open(url: string, options: Partial<Parameters<typeof openPostgresJobStore>[0]> = {}) {
  const store = await openPostgresJobStore({ url, ...options });
  opened.push(store);
  return store;
}

const echo = (extra: Partial<CreateJobCommand> = {}): CreateJobCommand => ({
  tenant: "t1",
  type: "conformance.echo",
  input: { value: 1 },
  metadata: {},
  maxAttempts: 3,
  webhookUrl: null,
  ...extra,
});

const leaseOf = (job: StoredJob): Lease => ({ id: job.id, leaseToken: job.leaseToken! });

/** Resolves with the first change `matches` accepts (rejects after `ms`, so a miss fails the test instead of hanging). */
function nextChange(store: PostgresJobStore, matches: (change: Change) => boolean, ms = 5_000): Promise<Change> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      stop();
      reject(new Error("no matching change arrived"));
    }, ms);
    const stop = store.changes.onAny((change) => {
      if (!matches(change)) return;
      clearTimeout(timer);
      stop();
      resolve(change);
    });
  });
}

beforeAll(async () => {
  admin = new pg.Client({ connectionString: inject("postgresUrl") });
  await admin.connect();
  const name = `pg_store_${process.pid}`;
  await admin.query(`CREATE DATABASE ${name}`);
  databaseUrl = new URL(inject("postgresUrl"));
  databaseUrl.pathname = `/${name}`;
  database = new pg.Client({ connectionString: databaseUrl.toString() });
  await database.connect();
});

afterAll(async () => {
  await Promise.all(opened.map((s) => s.close()));
  await database.end();
  await admin.end();
});

// The shared contract suite, one fresh database per test.
describeJobStore("postgres", async (options) => openPostgresJobStore({ url: await freshDatabase(), ...options }));

describe("notification payloads", () => {
  test("a job change round-trips, with a tenant that contains spaces", () => {
    const payload = encodeChange("ab12", { kind: "job", jobId: "job_1", status: "running" }, "acme corp");
    expect(decodeChange(payload)).toEqual({
      origin: "ab12",
      change: { kind: "job", jobId: "job_1", status: "running" },
      tenant: "acme corp",
    });
    expect(decodeChange(encodeChange("ab12", { kind: "outbox" }))).toEqual({ origin: "ab12", change: { kind: "outbox" } });
    expect(decodeChange("garbage")).toBeUndefined();
  });
});

describe("schema", () => {
  test("migrations are idempotent, also when several processes start at once", async () => {
    const url = await freshDatabase();
    const [a, b, c] = await Promise.all([open(url), open(url), open(url)]);
    await a.migrate();
    await Promise.all([b.migrate(), c.migrate()]);
    const client = new pg.Client({ connectionString: url });
    await client.connect();
    const { rows } = await client.query<{ version: number }>("SELECT version FROM schema_migrations ORDER BY version");
    await client.end();
    expect(rows.map((r) => r.version)).toEqual(postgresMigrations.map((m) => m.version));
  });

  test("the claim walks the jobs_claim index in its ORDER BY, with no sort", async () => {
    const url = await freshDatabase();
    const store = await open(url);
    const client = new pg.Client({ connectionString: url });
    await client.connect();
    try {
      await client.query(
        `INSERT INTO jobs (id, tenant, type, status, input, metadata, max_attempts, created_at, updated_at, run_at)
         SELECT 'job_' || lpad(g::text, 8, '0'), 't1', 'conformance.echo', CASE WHEN g % 10 = 0 THEN 'queued' ELSE 'succeeded' END,
           '{}', '{}', 3, g, g, g FROM generate_series(1, 20000) g`,
      );
      await client.query("ANALYZE jobs");
      const { rows } = await client.query<{ "QUERY PLAN": string }>(
        "EXPLAIN SELECT id FROM jobs WHERE status = 'queued' AND run_at <= $1 ORDER BY run_at, id LIMIT $2 FOR UPDATE SKIP LOCKED",
        [Date.now(), 16],
      );
      const plan = rows.map((r) => r["QUERY PLAN"]).join("\n");
      expect(plan).toContain("jobs_claim");
      expect(plan).not.toMatch(/\bSort\b/);
      const claimed = await store.claimJobs({ workerId: "w", limit: 3, leaseMs: 10_000 });
      expect(claimed.map((j) => j.id)).toEqual(["job_00000010", "job_00000020", "job_00000030"]);
    } finally {
      await client.end();
    }
  });
});

describe("concurrency", () => {
  test("many claimers in several pools never claim one job twice, and every job ends once", async () => {
    const url = await freshDatabase();
    const stores = await Promise.all([open(url), open(url), open(url)]);
    const total = 300;
    await Promise.all(Array.from({ length: total }, (_, i) => stores[i % 3]!.createJob(echo({ input: { value: i } }))));

    const claims = new Map<string, number>();
    const completions: Promise<boolean>[] = [];
    // 3 pools × 6 claimers, each taking small batches until the queue is empty.
    await Promise.all(
      stores.flatMap((store) =>
        Array.from({ length: 6 }, async () => {
          for (;;) {
            const jobs = await store.claimJobs({ workerId: "w", limit: 4, leaseMs: 30_000 });
            if (jobs.length === 0) return;
            for (const job of jobs) {
              claims.set(job.id, (claims.get(job.id) ?? 0) + 1);
              completions.push(store.completeJob(leaseOf(job), { value: job.id }));
            }
          }
        }),
      ),
    );
    expect(claims.size).toBe(total);
    expect([...claims.values()].every((n) => n === 1)).toBe(true);
    expect((await Promise.all(completions)).every(Boolean)).toBe(true);

    const client = new pg.Client({ connectionString: url });
    await client.connect();
    const { rows } = await client.query("SELECT status, attempt, count(*)::int AS n FROM jobs GROUP BY status, attempt");
    await client.end();
    expect(rows).toEqual([{ status: "succeeded", attempt: 1, n: total }]);
  });

  test("the per-tenant running limit holds across processes claiming at once", async () => {
    const url = await freshDatabase();
    const stores = await Promise.all([0, 1, 2].map(() => open(url, { maxRunningPerTenant: 3 })));
    for (let i = 0; i < 20; i++) await stores[0]!.createJob(echo({ input: { value: i } }));
    await stores[0]!.createJob(echo({ tenant: "t2" }));
    const claimed = (
      await Promise.all(stores.flatMap((store) => [0, 1].map(() => store.claimJobs({ workerId: "w", limit: 2, leaseMs: 30_000 }))))
    ).flat();
    const perTenant = (tenant: string) => claimed.filter((j) => j.tenant === tenant).length;
    expect([perTenant("t1"), perTenant("t2")]).toEqual([3, 1]);
  });

  test("concurrent submits with one idempotency key create one job; another body is refused", async () => {
    const url = await freshDatabase();
    const [a, b] = await Promise.all([open(url), open(url)]);
    const idempotency = { key: "k-1", fingerprint: "fp-1", ttlMs: 86_400_000 };
    const outcomes = await Promise.all(Array.from({ length: 20 }, (_, i) => (i % 2 ? a : b).createJob(echo({ idempotency }))));
    const created = outcomes.filter((o) => o.kind === "created");
    expect(created).toHaveLength(1);
    const id = created[0]!.kind === "created" ? created[0]!.job.id : "";
    for (const o of outcomes) expect(o.kind === "key_reused" ? "" : o.job.id).toBe(id);
    expect((await a.createJob(echo({ idempotency: { ...idempotency, fingerprint: "fp-2" } }))).kind).toBe("key_reused");
    expect(await b.findIdempotencyKey("t1", "k-1")).toEqual({ fingerprint: "fp-1", jobId: id });
    // The same key in another tenant is another key.
    expect((await a.createJob(echo({ tenant: "t2", idempotency }))).kind).toBe("created");
  });

  test("an expired key is taken over by a new job", async () => {
    const url = await freshDatabase();
    let clock = 1_700_000_000_000;
    const store = await open(url, { now: () => clock });
    const idempotency = { key: "k", fingerprint: "fp", ttlMs: 1_000 };
    const first = await store.createJob(echo({ idempotency }));
    clock += 1_001;
    const second = await store.createJob(echo({ idempotency: { ...idempotency, fingerprint: "other" } }));
    expect(first.kind).toBe("created");
    expect(second.kind).toBe("created");
    if (first.kind === "created" && second.kind === "created") expect(second.job.id).not.toBe(first.job.id);
    expect((await store.findIdempotencyKey("t1", "k"))?.fingerprint).toBe("other");
  });

  test("a stale lease finishes nothing, with or without a webhook", async () => {
    const url = await freshDatabase();
    let clock = 1_700_000_000_000;
    const store = await open(url, { now: () => clock });
    await store.createJob(echo());
    await store.createJob(echo({ webhookUrl: "https://example.test/hook" }));
    const first = await store.claimJobs({ workerId: "w1", limit: 2, leaseMs: 1_000 });
    // Leases run on the database's clock: recover as of two seconds from its now.
    expect(await store.recoverExpiredLeases(Date.now() + 2_000)).toBe(2);
    const second = await store.claimJobs({ workerId: "w2", limit: 2, leaseMs: 1_000 });
    expect(second.map((j) => j.attempt)).toEqual([2, 2]);
    for (const job of first) expect(await store.completeJob(leaseOf(job), "late")).toBe(false);
    for (const job of second) expect(await store.completeJob(leaseOf(job), "ok")).toBe(true);
    for (const job of second) expect((await store.getJob("t1", job.id))?.status).toBe("succeeded");
    // Only the webhook job has an outbox event, written once.
    const events = await store.claimDueEvents({ limit: 10, leaseMs: 1_000 });
    expect(events.map((e) => e.jobId)).toEqual([second.find((j) => j.webhookUrl !== null)!.id]);
  });
});

describe("LISTEN/NOTIFY", () => {
  test("a change committed through another pool reaches this store's listeners, with its status", async () => {
    const url = await freshDatabase();
    const [api, worker] = await Promise.all([open(url), open(url)]);
    const queued = nextChange(api, (c) => c.kind === "job" && c.status === "queued");
    const created = await worker.createJob(echo({ webhookUrl: "https://example.test/hook" }));
    const id = created.kind === "created" ? created.job.id : "";
    expect(await queued).toEqual({ kind: "job", jobId: id, status: "queued" });

    const running = nextChange(api, (c) => c.kind === "job" && c.status === "running");
    const [job] = await worker.claimJobs({ workerId: "w", limit: 1, leaseMs: 10_000 });
    expect(await running).toEqual({ kind: "job", jobId: id, status: "running" });

    const woke = new Promise<void>((resolve) => {
      const stop = api.changes.onJob(id, () => {
        stop();
        resolve();
      });
    });
    const outbox = nextChange(api, (c) => c.kind === "outbox");
    await worker.completeJob(leaseOf(job!), { ok: true });
    await woke;
    await outbox;
    expect((await api.getJob("t1", id))?.status).toBe("succeeded");
  });

  test("a cancel request reaches the worker's process as cancel_requested", async () => {
    const url = await freshDatabase();
    const [api, worker] = await Promise.all([open(url), open(url)]);
    const created = await api.createJob(echo());
    await worker.claimJobs({ workerId: "w", limit: 1, leaseMs: 10_000 });
    const seen = nextChange(worker, (c) => c.kind === "job" && c.status === "cancel_requested");
    expect((await api.requestCancel("t1", created.kind === "created" ? created.job.id : "")).kind).toBe("cancel_requested");
    await seen;
  });

  test("a change made by another process wakes a listener here", async () => {
    const url = await freshDatabase();
    const store = await open(url);
    const queued = nextChange(store, (c) => c.kind === "job" && c.status === "queued", 20_000);
    const module = fileURLToPath(new URL("../../src/store/postgres/postgres-job-store.ts", import.meta.url));
    const script = `
      const { openPostgresJobStore } = await import(${JSON.stringify(module)});
      const store = await openPostgresJobStore({ url: process.argv[1] });
      const outcome = await store.createJob({ tenant: "t1", type: "conformance.echo", input: {}, metadata: {}, maxAttempts: 3, webhookUrl: null });
      console.log(outcome.job.id);
      await store.close();`;
    const childId = await new Promise<string>((resolve, reject) => {
      execFile(
        process.execPath,
        ["--conditions=async-jobs-source", "--import", "tsx", "--input-type=module", "-e", script, url],
        { cwd: fileURLToPath(new URL("../..", import.meta.url)) },
        (error, stdout) => (error ? reject(error) : resolve(stdout.trim())),
      );
    });
    const change = await queued;
    expect(change).toEqual({ kind: "job", jobId: childId, status: "queued" });
  });

  test("the LISTEN connection comes back after it is killed, and waiters are told to re-check", async () => {
    const url = await freshDatabase();
    const [listener, writer] = await Promise.all([open(url), open(url)]);
    const pid = listener.listenerPid();
    expect(pid).toBeTypeOf("number");
    const external = nextChange(listener, (c) => c.kind === "external");
    await admin.query("SELECT pg_terminate_backend($1)", [pid]);
    await external;
    expect(listener.listenerPid()).not.toBe(pid);
    const queued = nextChange(listener, (c) => c.kind === "job" && c.status === "queued");
    await writer.createJob(echo());
    await queued;
  });
});
