import { join } from "node:path";
import { useSourceConditions } from "./source-conditions.ts";

/** Bearer token of every bench server (tenant `bench`). */
export const TOKEN = "bench_token";
export const TENANT = "bench";
export const JSON_AUTH = { authorization: `Bearer ${TOKEN}`, "content-type": "application/json" };

/**
 * Starts a reference server in this process on `store` (`sqlite:<path>` or `postgres://…`),
 * on a free loopback port, with the CLI's `args` added.
 *
 * @example
 * const server = await startBenchServer("sqlite:/tmp/x/jobs.db", "/tmp/x", ["--no-worker"]);
 */
export async function startBenchServer(store: string, dir: string, args: string[] = []) {
  useSourceConditions();
  const { loadConfig } = await import("../../reference-server/src/config.ts");
  const { startServer } = await import("../../reference-server/src/server.ts");
  const base = ["--port", "0", "--host", "127.0.0.1", "--store", store, "--blob-dir", join(dir, "blobs"), "--tokens", `${TOKEN}:${TENANT}`];
  return startServer(loadConfig(["serve", ...base, ...args]));
}

/** Submits one job (no key) and returns its id. */
export async function submitOne(url: string, input: unknown = {}): Promise<string> {
  const response = await fetch(`${url}/v1/jobs`, { method: "POST", headers: JSON_AUTH, body: JSON.stringify({ type: "conformance.echo", input }) });
  if (response.status !== 202) throw new Error(`submit answered ${response.status}: ${await response.text()}`);
  return ((await response.json()) as { id: string }).id;
}
