import { execFile, spawn } from "node:child_process";
import { chmodSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";

const run = promisify(execFile);
import { findPgBin } from "../../../test/helpers/find-tools.ts";
import { freePort } from "../../../test/helpers/free-port.ts";

// PG_BIN, pg_ctl on PATH (Homebrew, Postgres.app), pg_config --bindir, Debian's 15 (find-tools.ts).
const PG_BIN = findPgBin();

/** A throwaway PostgreSQL cluster in a temp dir on a free loopback port. */
export interface PostgresCluster {
  /** `postgres://postgres@127.0.0.1:PORT/postgres` */
  readonly url: string;
  readonly port: number;
  /** Creates an empty database and returns its URL (one per test file keeps them apart). */
  createDatabase(name: string): Promise<string>;
  /** `pg_ctl restart -m fast` (or stop, `downMs` of outage, start): what a failover or a minor upgrade does to the clients. */
  restart(downMs?: number): Promise<void>;
  stop(): Promise<void>;
}


// initdb refuses to run as root, so the cluster belongs to the `postgres` user when we are root.
function asPostgres(cmd: string, args: string[]): [string, string[]] {
  return process.getuid?.() === 0 ? ["runuser", ["-u", "postgres", "--", cmd, ...args]] : [cmd, args];
}

/**
 * Starts a cluster with fsync on (the tests measure real durability) and trust auth on loopback.
 *
 * @example
 * const pg = await startPostgresCluster(); const url = await pg.createDatabase("jobs_test"); … await pg.stop();
 */
export async function startPostgresCluster(): Promise<PostgresCluster> {
  if (!PG_BIN) {
    throw new Error(
      "PostgreSQL not found, so the Postgres tests cannot run: set PG_BIN to the directory of initdb and pg_ctl, or put pg_ctl on PATH (apt-get install postgresql, brew install postgresql@15)",
    );
  }
  const bin = PG_BIN;
  const dir = mkdtempSync(join(tmpdir(), "async-jobs-pg-"));
  chmodSync(dir, 0o777);
  const data = join(dir, "data");
  const port = await freePort();
  const [initCmd, initArgs] = asPostgres(join(bin, "initdb"), [
    "-D", data, "-U", "postgres", "--auth=trust", "--no-sync", "-E", "UTF8", "--locale=C",
  ]);
  await run(initCmd, initArgs);
  const options = `-p ${port} -k ${dir} -c listen_addresses=127.0.0.1 -c max_connections=200 -c shared_buffers=64MB`;
  const [ctlCmd, ctlArgs] = asPostgres(join(bin, "pg_ctl"), [
    "-D", data, "-o", options, "-l", join(dir, "postgres.log"), "-w", "-t", "60", "start",
  ]);
  await run(ctlCmd, ctlArgs);
  const url = `postgres://postgres@127.0.0.1:${port}/postgres`;

  return {
    url,
    port,
    async createDatabase(name) {
      if (!/^[a-z_][a-z0-9_]*$/.test(name)) throw new Error(`bad database name ${name}`);
      const [psqlCmd, psqlArgs] = asPostgres(join(bin, "psql"), [
        "-h", "127.0.0.1", "-p", String(port), "-U", "postgres", "-d", "postgres", "-v", "ON_ERROR_STOP=1",
        "-c", `CREATE DATABASE ${name}`,
      ]);
      await run(psqlCmd, psqlArgs);
      return `postgres://postgres@127.0.0.1:${port}/${name}`;
    },
    async restart(downMs = 0) {
      if (downMs === 0) {
        const [cmd, args] = asPostgres(join(PG_BIN, "pg_ctl"), [
          "-D", data, "-o", options, "-l", join(dir, "postgres.log"), "-m", "fast", "-w", "-t", "60", "restart",
        ]);
        return void (await run(cmd, args));
      }
      // Down for a while, as a failover or a managed database's maintenance is.
      const [stopCmd, stopArgs] = asPostgres(join(PG_BIN, "pg_ctl"), ["-D", data, "-m", "fast", "-w", "-t", "60", "stop"]);
      await run(stopCmd, stopArgs);
      await new Promise((r) => setTimeout(r, downMs));
      const [startCmd, startArgs] = asPostgres(join(PG_BIN, "pg_ctl"), [
        "-D", data, "-o", options, "-l", join(dir, "postgres.log"), "-w", "-t", "60", "start",
      ]);
      await run(startCmd, startArgs);
    },
    async stop() {
      const [stopCmd, stopArgs] = asPostgres(join(bin, "pg_ctl"), ["-D", data, "-m", "immediate", "-w", "stop"]);
      await new Promise<void>((resolve) => {
        const child = spawn(stopCmd, stopArgs, { stdio: "ignore" });
        child.on("exit", () => resolve());
        child.on("error", () => resolve());
      });
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
