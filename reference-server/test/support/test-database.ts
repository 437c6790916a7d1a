import pg from "pg";
import { inject } from "vitest";

/**
 * Creates an empty database in the run's throwaway cluster (postgres-global-setup.ts) and returns
 * its URL, a `--store` value. One per test file (name it with `process.pid`) keeps files apart;
 * a leftover of the same name is dropped first.
 *
 * @example
 * const store = await createTestDatabase(`metrics_${process.pid}`); startTestServer(["--store", store]);
 */
export async function createTestDatabase(name: string): Promise<string> {
  const adminUrl = inject("postgresUrl");
  const client = new pg.Client({ connectionString: adminUrl });
  await client.connect();
  try {
    await client.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
    await client.query(`CREATE DATABASE ${name}`);
  } finally {
    await client.end();
  }
  const url = new URL(adminUrl);
  url.pathname = `/${name}`;
  return url.toString();
}
