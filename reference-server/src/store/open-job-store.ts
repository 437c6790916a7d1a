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
    // Loaded only when asked for, so the SQLite default does not load pg at all. A literal
    // specifier: the build splits it into a chunk of its own (a variable one left dist/ without it).
    const { openPostgresJobStore } = await import("./postgres/postgres-job-store.ts");
    return openPostgresJobStore({ url, ...options });
  }
  throw new Error(`Unknown store URL ${url}`);
}
