import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import pg from "pg";
import { afterAll, inject } from "vitest";
import { openPostgresUploadStore } from "../../src/store/postgres/postgres-upload-store.ts";
import { openSqliteUploadStore } from "../../src/store/sqlite/sqlite-upload-store.ts";
import { describeUploadStore } from "./upload-store-suite.ts";

const dir = mkdtempSync(join(tmpdir(), "upload-store-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describeUploadStore("sqlite", async () => openSqliteUploadStore(join(dir, "jobs.db")));

describeUploadStore("postgres", async () => {
  const admin = new pg.Client({ connectionString: inject("postgresUrl") });
  await admin.connect();
  const name = `uploads_store_${process.pid}`;
  await admin.query(`CREATE DATABASE ${name}`);
  await admin.end();
  const url = new URL(inject("postgresUrl"));
  url.pathname = `/${name}`;
  return openPostgresUploadStore(url.toString());
});
