import { startReferenceServer as startProcess } from "../../../test/helpers/reference-server.ts";
import type { ConformanceOptions } from "../../src/run-conformance.ts";

/** The reference server in a child process, configured with short test timings. */
export interface ReferenceServer {
  readonly baseUrl: string;
  readonly token: string;
  readonly otherToken: string;
  readonly webhookSecret: string;
  /** Options for `runConformance` matching this server's timings. */
  readonly options: Pick<ConformanceOptions, "baseUrl" | "token" | "otherToken" | "webhookSecret" | "leaseTimeoutS" | "partUrlTtlS" | "webhookRetryWaitS" | "timeoutScale">;
  stop(): Promise<void>;
}

/**
 * Starts `async-jobs-server serve` on port 0 through the repository's one process helper
 * (`test/helpers/reference-server.ts`; SQLite in a temp dir unless `store` is given), with two
 * tenants and the short timings the conformance run is told about.
 *
 * @example
 * const server = await startReferenceServer();
 * const report = await runConformance(server.options);
 */
export async function startReferenceServer(opts: { store?: string; args?: string[]; allowPrivateWebhooks?: boolean } = {}): Promise<ReferenceServer> {
  const server = await startProcess({
    tenants: ["tenant-a", "tenant-b"],
    store: opts.store,
    timeoutMs: 30_000,
    args: [
      // The suite's receiver is on loopback; a production-like server (false) refuses it.
      ...(opts.allowPrivateWebhooks === false ? [] : ["--allow-private-webhooks"]),
      "--webhook-schedule-ms", "0,200,400",
      "--lease-timeout-ms", "1000",
      "--part-url-ttl-s", "2",
      "--min-part-size", "1024",
      "--retry-base-ms", "100",
      ...(opts.args ?? []),
    ],
  });
  const { url: baseUrl, webhookSecret } = server;
  const token = server.tokens["tenant-a"]!;
  const otherToken = server.tokens["tenant-b"]!;
  return {
    baseUrl,
    token,
    otherToken,
    webhookSecret,
    // A little slack on upper bounds: CI runs these beside other test files on 2 cores.
    options: { baseUrl, token, otherToken, webhookSecret, leaseTimeoutS: 1, partUrlTtlS: 2, webhookRetryWaitS: 1, timeoutScale: 1.5 },
    stop: () => server.stop(),
  };
}
