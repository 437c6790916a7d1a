import type { JobStore, JobStoreOptions } from "./job-store.ts";
import { openSqliteJobStore } from "./sqlite/sqlite-job-store.ts";

/** Options of either store (see {@link JobStoreOptions}). */
export type OpenJobStoreOptions = JobStoreOptions;

/**
 * Opens the store a `--store` URL names: `sqlite:<path>` (embedded, the default) or
 * `postgres://…` (many processes).
 *
 * @example
 * const store = await openJobStore("sqlite:./data/jobs.db");
 */
export async function openJobStore(url: string, options: OpenJobStoreOptions = {}): Promise<JobStore> {
  if (url.startsWith("sqlite:")) return openSqliteJobStore({ path: url.slice("sqlite:".length) || "./data/jobs.db", ...options });
  if (/^postgres(ql)?:\/\//.test(url)) {
    // Loaded only when asked for, so the SQLite default does not need pg at all.
    const modulePath = "./postgres/postgres-job-store.ts";
    let mod: { openPostgresJobStore?: (o: { url: string } & OpenJobStoreOptions) => Promise<JobStore> };
    try {
      mod = await import(modulePath);
    } catch (error) {
      throw new Error(`The Postgres store is not available in this build (${(error as Error).message}).`);
    }
    if (!mod.openPostgresJobStore) throw new Error("The Postgres store is not available in this build.");
    return mod.openPostgresJobStore({ url, ...options });
  }
  throw new Error(`Unknown store URL ${url}`);
}
