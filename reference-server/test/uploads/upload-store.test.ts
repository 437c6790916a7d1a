import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll } from "vitest";
import { openPostgresUploadStore } from "../../src/store/postgres/postgres-upload-store.ts";
import { openSqliteUploadStore } from "../../src/store/sqlite/sqlite-upload-store.ts";
import { createTestDatabase } from "../support/test-database.ts";
import { describeUploadStore } from "./upload-store-suite.ts";

const dir = mkdtempSync(join(tmpdir(), "upload-store-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describeUploadStore("sqlite", async () => openSqliteUploadStore(join(dir, "jobs.db")));

describeUploadStore("postgres", async () => {
  const url = await createTestDatabase(`uploads_store_${process.pid}`);
  return openPostgresUploadStore(url);
});
