import pg from "pg";
import { expect, inject, test } from "vitest";

test("the run's throwaway Postgres cluster accepts connections and creates databases", async () => {
  const admin = new pg.Client({ connectionString: inject("postgresUrl") });
  await admin.connect();
  const name = `probe_${process.pid}`;
  await admin.query(`CREATE DATABASE ${name}`);
  const { rows } = await admin.query<{ n: string }>("SELECT count(*) AS n FROM pg_database WHERE datname = $1", [name]);
  await admin.query(`DROP DATABASE ${name}`);
  await admin.end();
  expect(rows[0]?.n).toBe("1");
});
