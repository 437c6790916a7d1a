import { fileURLToPath } from "node:url";
import { startReferenceServer as startServer } from "../helpers/reference-server.ts";

/** The repository root. */
export const repoRoot = fileURLToPath(new URL("../../", import.meta.url));

/** A reference server with one tenant and a webhook secret, as the CLI and demo tests use it. */
export interface ReferenceServerProcess {
  baseUrl: string;
  token: string;
  webhookSecret: string;
  stop(): Promise<void>;
}

/**
 * Starts the reference server through the shared test helper (`test/helpers/reference-server.ts`)
 * with one tenant, a known webhook secret, private webhook URLs allowed and a fast retry schedule.
 *
 * @example
 * const server = await startReferenceServer(["--min-part-size", "1048576"]);
 */
export async function startReferenceServer(extraArgs: string[] = []): Promise<ReferenceServerProcess> {
  const server = await startServer({
    tenants: ["tenant-a"],
    webhookSecret: `whsec_${btoa("a-test-secret-of-at-least-24-bytes")}`,
    args: ["--allow-private-webhooks", "--webhook-schedule-ms", "0,50,200", ...extraArgs],
  });
  return { baseUrl: server.url, token: server.tokens["tenant-a"]!, webhookSecret: server.webhookSecret, stop: () => server.stop() };
}
