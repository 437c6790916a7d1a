import { type ChildProcess, spawn } from "node:child_process";
import { randomBytes } from "node:crypto";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import type { ConformanceOptions } from "../../src/run-conformance.ts";

const REPO = fileURLToPath(new URL("../../../", import.meta.url));

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
 * Starts `async-jobs-server serve` on port 0 (SQLite in a temp dir unless `store` is given).
 *
 * @example
 * const server = await startReferenceServer();
 * const report = await runConformance(server.options);
 */
export async function startReferenceServer(opts: { store?: string; allowPrivateWebhooks?: boolean } = {}): Promise<ReferenceServer> {
  const dir = mkdtempSync(join(tmpdir(), "conformance-ref-"));
  const token = `tok_a_${randomBytes(8).toString("hex")}`;
  const otherToken = `tok_b_${randomBytes(8).toString("hex")}`;
  const webhookSecret = `whsec_${randomBytes(32).toString("base64")}`;
  const child: ChildProcess = spawn(
    process.execPath,
    [
      "--conditions=async-jobs-source",
      "--import",
      "tsx",
      "reference-server/src/cli.ts",
      "serve",
      "--port",
      "0",
      "--store",
      opts.store ?? `sqlite:${join(dir, "jobs.db")}`,
      "--blob-dir",
      join(dir, "blobs"),
      "--tokens",
      `${token}:tenant-a,${otherToken}:tenant-b`,
      "--webhook-secret",
      webhookSecret,
      // The suite's receiver is on loopback; a production-like server (false) refuses it.
      ...(opts.allowPrivateWebhooks === false ? [] : ["--allow-private-webhooks"]),
      "--webhook-schedule-ms",
      "0,200,400",
      "--lease-timeout-ms",
      "1000",
      "--part-url-ttl-s",
      "2",
      "--min-part-size",
      "1024",
      "--retry-base-ms",
      "100",
    ],
    { cwd: REPO, stdio: ["ignore", "pipe", "pipe"] },
  );
  let stderr = "";
  child.stderr!.on("data", (c: Buffer) => (stderr += c.toString()));
  const baseUrl = await new Promise<string>((resolve, reject) => {
    let out = "";
    const timer = setTimeout(() => reject(new Error(`reference server did not start in 30 s: ${stderr}`)), 30_000);
    child.stdout!.on("data", (c: Buffer) => {
      out += c.toString();
      const m = /listening on (http:\/\/\S+)/.exec(out);
      if (m) {
        clearTimeout(timer);
        resolve(m[1]!);
      }
    });
    child.once("exit", (code) => {
      clearTimeout(timer);
      reject(new Error(`reference server exited with ${code}: ${stderr}`));
    });
  });
  return {
    baseUrl,
    token,
    otherToken,
    webhookSecret,
    // A little slack on upper bounds: CI runs these beside other test files on 2 cores.
    options: { baseUrl, token, otherToken, webhookSecret, leaseTimeoutS: 1, partUrlTtlS: 2, webhookRetryWaitS: 1, timeoutScale: 1.5 },
    async stop() {
      if (child.exitCode === null) {
        const exited = new Promise((r) => child.once("exit", r));
        child.kill("SIGTERM");
        const timer = setTimeout(() => child.kill("SIGKILL"), 5_000);
        await exited;
        clearTimeout(timer);
      }
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
