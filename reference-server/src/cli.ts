import { parseArgs } from "node:util";
import { ConfigError, loadConfig, USAGE } from "./config.ts";
import { devCredentialsPath, readDevCredentials, writeDevCredentials } from "./dev-credentials.ts";
import { openJobStore } from "./store/open-job-store.ts";
import { startServer } from "./server.ts";
import { createUploadsFeature } from "./uploads/index.ts";
import { createTenantSecrets } from "./webhooks/tenant-secrets.ts";
import { logToStderr } from "./log-to-stderr.ts";

// The async-jobs-server command: serve | worker | migrate | webhook-secret (see USAGE). Exit codes (docs/server.md):
// 0 done, 1 could not start or crashed, 2 usage, 130 forced exit by a second Ctrl-C.
const exitCodes = { ok: 0, failed: 1, usage: 2, forced: 130 } as const;

/** Network codes of a store that cannot be reached, and what they mean to a person. */
const unreachable = new Set(["ECONNREFUSED", "ENOTFOUND", "EAI_AGAIN", "ETIMEDOUT", "EHOSTUNREACH", "ECONNRESET"]);

/** A store URL fit for a log line: the password masked. */
function maskStore(store: string): string {
  return store.replace(/(\/\/[^:/@]+:)[^@]*@/, "$1***@");
}

/** One line for the errors a first start runs into; undefined for anything else (a bug: stack). */
function describeStartupError(error: unknown, config: { port: number; host: string; store: string }): string | undefined {
  const code = (error as { code?: unknown })?.code;
  if (code === "EADDRINUSE") {
    return `port ${config.port} on ${config.host} is in use (another server?): stop it, pick another --port, or --port 0 for a free one`;
  }
  if (code === "EACCES" && (error as { syscall?: string }).syscall === "listen") {
    return `not allowed to listen on port ${config.port}: use a port above 1023, or --port 0`;
  }
  if (typeof code === "string" && unreachable.has(code) && config.store.startsWith("postgres")) {
    return `cannot reach Postgres at ${maskStore(config.store)} (${code}): is it running, and is --store right?`;
  }
  if (code === "28P01" || code === "3D000") {
    return `Postgres refused ${maskStore(config.store)}: ${(error as Error).message}`;
  }
  if (code === "SQLITE_CANTOPEN") return `cannot open the SQLite file of ${config.store}: does its directory exist and is it writable?`;
  return undefined;
}

/**
 * A generated dev token survives restarts: the first start saves it in the data dir, later
 * starts reuse it, so tokens exported into other shells keep working. (Generated webhook
 * secrets need no file: they are derived from a key the store keeps.)
 */
function keepDevCredentials(config: ReturnType<typeof loadConfig>): void {
  if (!config.generatedToken) return;
  const path = devCredentialsPath(config);
  const saved = readDevCredentials(path);
  if (config.generatedToken) {
    const [generated] = config.tokens.keys();
    if (saved.token) {
      config.tokens.delete(generated!);
      config.tokens.set(saved.token, "dev");
    } else saved.token = generated;
  }
  writeDevCredentials(path, saved);
}

async function main(): Promise<number | undefined> {
  const argv = process.argv.slice(2);
  let config;
  try {
    config = loadConfig(argv, process.env);
  } catch (error) {
    if (error instanceof ConfigError) {
      process.stderr.write(`error: ${error.message}\nrun "async-jobs-server --help" for the options\n`);
      return exitCodes.usage;
    }
    throw error;
  }
  if (config.help) {
    process.stdout.write(USAGE);
    return exitCodes.ok;
  }
  // No command: say what there is instead of silently serving on ./data.
  if (parseArgs({ args: argv, strict: false, allowPositionals: true }).positionals.length === 0) {
    process.stderr.write(`error: missing command\n\n${USAGE}`);
    return exitCodes.usage;
  }
  const log = config.log ? logToStderr : undefined;

  try {
    if (config.command === "migrate") {
      const store = await openJobStore(config.store);
      await store.migrate();
      await store.close();
      process.stdout.write(`migrated ${maskStore(config.store)}\n`);
      return exitCodes.ok;
    }
    if (config.command === "webhook-secret") {
      const uploads = createUploadsFeature({ store: config.store, blobs: config.blobDir });
      await uploads.migrate();
      const secretsFor = createTenantSecrets({ perTenant: config.tenantWebhookSecrets, shared: config.webhookSecrets, masterKey: uploads.signingKey });
      process.stdout.write(`${(await secretsFor(config.secretTenant!)).join(",")}\n`);
      await uploads.close();
      return exitCodes.ok;
    }
    keepDevCredentials(config);
    const server = await startServer(config, log ?? logToStderr);
    if (config.command === "serve") {
      process.stdout.write(`listening on ${server.url}\n`);
      if (config.generatedToken) process.stdout.write(`dev token: ${[...config.tokens.keys()][0]} (tenant "dev", kept in ${devCredentialsPath(config)})\n`);
    } else {
      process.stdout.write(`worker ${server.worker?.id} on ${maskStore(config.store)}\n`);
    }
    // Each tenant's receivers verify with its own secret: the operator hands each its line.
    for (const tenant of new Set(config.command === "serve" ? config.tokens.values() : [])) {
      if (config.tenantWebhookSecrets.has(tenant) || !config.generatedWebhookSecret) continue;
      const [secret] = await server.webhookSecretsFor(tenant);
      process.stdout.write(`webhook secret of tenant "${tenant}": ${secret}\n`);
    }

    // SIGTERM drains: stop leasing, let running jobs finish within the grace, give the rest
    // back. A second Ctrl-C (or SIGTERM) does not wait for the drain.
    let stopping = false;
    const stop = (signal: string) => {
      if (stopping) {
        process.stderr.write(`${signal} again: exiting without waiting for the drain\n`);
        process.exit(exitCodes.forced);
      }
      stopping = true;
      process.stdout.write(`${signal}: draining (${signal === "SIGINT" ? "Ctrl-C" : signal} again to force)\n`);
      server.close().then(
        () => process.exit(exitCodes.ok),
        (error) => {
          console.error(error);
          process.exit(exitCodes.failed);
        },
      );
    };
    process.on("SIGTERM", () => stop("SIGTERM"));
    process.on("SIGINT", () => stop("SIGINT"));
    return undefined; // keeps serving
  } catch (error) {
    const line = describeStartupError(error, config);
    if (!line) throw error;
    process.stderr.write(`error: ${line}\n`);
    return exitCodes.failed;
  }
}

main().then(
  (code) => {
    if (code !== undefined) process.exit(code);
  },
  (error) => {
    console.error(error);
    process.exit(exitCodes.failed);
  },
);
