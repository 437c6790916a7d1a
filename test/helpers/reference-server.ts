import { randomBytes } from "node:crypto";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { spawnUntilReady } from "./spawn-until-ready.ts";

const root = fileURLToPath(new URL("../../", import.meta.url));

/** A reference server process started for a test or a bench. */
export interface ReferenceServer {
  /** `http://127.0.0.1:PORT` */
  url: string;
  /** Tokens by tenant (`tokens.a` belongs to tenant `a`, …). */
  tokens: Record<string, string>;
  /** The signing secret of every tenant's webhooks. */
  webhookSecret: string;
  /** Everything it printed, for failure messages. */
  output: () => string;
  stop(): Promise<void>;
}

/** Options of {@link startReferenceServer}. */
export interface ReferenceServerOptions {
  /** Each gets the token `tok_<tenant>`. @default ["a"] */
  tenants?: string[];
  /** Extra CLI flags (later flags win over the helper's own). */
  args?: string[];
  /** `--store`. @default a SQLite file in the temp dir */
  store?: string;
  /** @default a fresh random `whsec_` secret */
  webhookSecret?: string;
  /** @default 60000 */
  timeoutMs?: number;
}

/**
 * The one way tests and benches start the reference server as a process (the SDK's, the CLI's
 * and the conformance suite's tests all call it): `async-jobs-server serve --port 0` from its
 * TypeScript sources (SQLite and blobs in a temp dir), waits for its `listening on` line and
 * returns its URL. Each tenant in `tenants` gets the token `tok_<tenant>`.
 *
 * @example
 * const server = await startReferenceServer({ tenants: ["a", "b"] })
 * const client = createClient({ baseUrl: server.url, token: server.tokens.a })
 * await server.stop()
 */
export async function startReferenceServer(options: ReferenceServerOptions = {}): Promise<ReferenceServer> {
  const tenants = options.tenants ?? ["a"];
  const webhookSecret = options.webhookSecret ?? `whsec_${randomBytes(32).toString("base64")}`;
  const dir = mkdtempSync(join(tmpdir(), "aj-sdk-"));
  const tokens = Object.fromEntries(tenants.map((t) => [t, `tok_${t}`]));
  const args = [
    "--conditions=async-jobs-source",
    "--import",
    "tsx",
    "reference-server/src/cli.ts",
    "serve",
    "--port",
    "0",
    "--store",
    options.store ?? `sqlite:${join(dir, "jobs.db")}`,
    "--blob-dir",
    join(dir, "blobs"),
    "--tokens",
    tenants.map((t) => `tok_${t}:${t}`).join(","),
    // The same secret configured for each tenant: no --shared-webhook-secret needed.
    "--webhook-secret",
    tenants.map((t) => `${t}:${webhookSecret}`).join(","),
    "--min-part-size",
    "1",
    ...(options.args ?? []),
  ];
  const { child, ready: url, output } = await spawnUntilReady(process.execPath, args, { cwd: root, timeoutMs: options.timeoutMs, name: "the reference server" });
  return {
    url,
    tokens,
    webhookSecret,
    output,
    async stop() {
      if (child.exitCode === null) {
        const exited = new Promise((r) => child.once("exit", r));
        child.kill("SIGTERM");
        const timer = setTimeout(() => child.kill("SIGKILL"), 5000);
        await exited;
        clearTimeout(timer);
      }
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
