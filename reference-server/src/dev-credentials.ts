import { chmodSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { dirname, join, resolve } from "node:path";

/** The dev token a server generated, kept so a restart reuses it. */
export interface DevCredentials {
  token?: string;
}

/**
 * Where generated dev credentials live: beside the SQLite file (`./data/` by default), or in
 * the blob directory with Postgres. One file per data dir, so two servers on two dirs differ.
 *
 * @example
 * devCredentialsPath({ store: "sqlite:./data/jobs.db", blobDir: "./data/blobs" }) // "/…/data/dev-credentials.json"
 */
export function devCredentialsPath(config: { store: string; blobDir: string }): string {
  const dir = config.store.startsWith("sqlite:") ? dirname(resolve(config.store.slice("sqlite:".length))) : resolve(config.blobDir);
  return join(dir, "dev-credentials.json");
}

/**
 * The saved credentials, or `{}` when there are none (first start, or an unreadable file).
 *
 * @example
 * const saved = readDevCredentials(path)
 */
export function readDevCredentials(path: string): DevCredentials {
  try {
    const parsed = JSON.parse(readFileSync(path, "utf8")) as DevCredentials;
    return typeof parsed === "object" && parsed !== null ? parsed : {};
  } catch {
    return {};
  }
}

/**
 * Saves the credentials, readable by the owner only (they are bearer credentials).
 *
 * @example
 * writeDevCredentials(path, { token: "dev_…" })
 */
export function writeDevCredentials(path: string, credentials: DevCredentials): void {
  mkdirSync(dirname(path), { recursive: true });
  writeFileSync(path, `${JSON.stringify(credentials, null, 2)}\n`, { mode: 0o600 });
  chmodSync(path, 0o600);
}
