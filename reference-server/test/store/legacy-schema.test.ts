import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import Database from "better-sqlite3";
import pg from "pg";
import { afterAll, expect, test } from "vitest";
import type { JobStore } from "../../src/store/job-store.ts";
import { openPostgresJobStore } from "../../src/store/postgres/postgres-job-store.ts";
import { openPostgresUploadStore } from "../../src/store/postgres/postgres-upload-store.ts";
import { postgresMigrations } from "../../src/store/postgres/schema.ts";
import { openSqliteJobStore } from "../../src/store/sqlite/sqlite-job-store.ts";
import { openSqliteUploadStore } from "../../src/store/sqlite/sqlite-upload-store.ts";
import { sqliteMigrations } from "../../src/store/sqlite/schema.ts";
import type { UploadStore } from "../../src/store/upload-store.ts";
import { createTestDatabase } from "../support/test-database.ts";

// A database made by the release before the versioned runner must open, migrate and keep its data.

const fixture = (name: string) => readFileSync(join(import.meta.dirname, "fixtures", name), "utf8");
const dir = mkdtempSync(join(tmpdir(), "legacy-schema-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const T = 1_700_000_000_000;
const JOB = `INSERT INTO jobs (id, tenant, type, status, input, metadata, attempt, max_attempts, cancel_requested, created_at,
  updated_at, started_at, version, run_at, lease_token, lease_expires_at, PROGRESS_COLUMNS)
  VALUES ('job_legacy', 'acme', 'conformance.echo', 'running', '{"v":1}', '{}', 1, 3, FALSE_, ${T}, ${T}, ${T}, 3, ${T}, 'tok', ${T + 30_000}, PROGRESS_VALUES)`;
const UPLOAD = `INSERT INTO uploads (id, tenant, status, filename, content_type, size, part_size, part_count, origin, version, created_at, expires_at)
  VALUES ('upl_legacy', 'acme', 'pending', 'a.bin', 'application/octet-stream', 10, 10, 1, 'http://127.0.0.1:1', 0, ${T}, ${T + 86_400_000})`;

/** What every migrated legacy database must show through the stores. */
async function expectMigrated(jobs: JobStore, uploads: UploadStore) {
  await uploads.migrate(); // the second runner call finds nothing to do
  expect(await jobs.getJob("acme", "job_legacy")).toMatchObject({
    status: "running",
    input: { v: 1 },
    progress: { percent: 40, message: "half" },
    leaseExpiresAt: T + 30_000,
  });
  expect(await uploads.getUpload("upl_legacy")).toMatchObject({ status: "pending", size: 10 });
  expect(Buffer.from(await uploads.signingKey(() => new Uint8Array(32))).toString()).toBe("k".repeat(32));
  // And the migrated schema takes new writes.
  const created = await jobs.createJob({ tenant: "acme", type: "conformance.echo", input: {}, metadata: {}, maxAttempts: 1, webhookUrl: null });
  expect(created.kind).toBe("created");
  expect(await jobs.recoverExpiredLeases(T + 60_000)).toBe(1);
  expect(await jobs.getJob("acme", "job_legacy")).toMatchObject({ status: "queued" });
}

test("SQLite: a database file of the previous release opens, migrates once and keeps its rows", async () => {
  const path = join(dir, "legacy.db");
  const db = new Database(path);
  db.exec(fixture("legacy-sqlite.sql"));
  db.exec(JOB.replace("PROGRESS_COLUMNS", "progress").replace("FALSE_", "0").replace("PROGRESS_VALUES", `'{"percent":40,"message":"half"}'`));
  db.exec(UPLOAD);
  db.prepare("INSERT INTO upload_signing_keys (id, key) VALUES (1, ?)").run(Buffer.from("k".repeat(32)));
  db.close();

  const jobs = await openSqliteJobStore({ path });
  const uploads = openSqliteUploadStore(path);
  try {
    await expectMigrated(jobs, uploads);
  } finally {
    await uploads.close();
    await jobs.close();
  }
  const check = new Database(path, { readonly: true });
  const versions = check.prepare("SELECT version FROM schema_migrations ORDER BY version").pluck().all();
  const columns = check.prepare("SELECT name FROM pragma_table_info('jobs')").pluck().all();
  check.close();
  expect(versions).toEqual(sqliteMigrations.map((m) => m.version));
  expect(columns).toContain("progress_percent");
  expect(columns).not.toContain("progress");
  // Reopening runs nothing again.
  await (await openSqliteJobStore({ path })).close();
});

test("Postgres: a database of the previous release migrates, adopting its migrations table", async () => {
  const url = await createTestDatabase(`legacy_${process.pid}`);
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    await client.query(fixture("legacy-postgres.sql"));
    await client.query(
      JOB.replace("PROGRESS_COLUMNS", "progress_percent, progress_message").replace("FALSE_", "false").replace("PROGRESS_VALUES", "40, 'half'"),
    );
    await client.query(UPLOAD);
    await client.query("INSERT INTO upload_signing_keys (id, key) VALUES (1, $1)", [Buffer.from("k".repeat(32))]);

    const [jobs, again] = await Promise.all([openPostgresJobStore({ url }), openPostgresJobStore({ url })]);
    const uploads = openPostgresUploadStore(url);
    try {
      await expectMigrated(jobs, uploads);
    } finally {
      await uploads.close();
      await jobs.close();
      await again.close();
    }
    const { rows } = await client.query<{ version: number }>("SELECT version FROM schema_migrations ORDER BY version");
    expect(rows.map((r) => r.version)).toEqual(postgresMigrations.map((m) => m.version));
    const legacy = await client.query("SELECT to_regclass('job_store_migrations') AS t");
    expect(legacy.rows[0].t).toBeNull();
  } finally {
    await client.end();
  }
});
