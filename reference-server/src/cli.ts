import { ConfigError, loadConfig, USAGE } from "./config.ts";
import { openJobStore } from "./store/open-job-store.ts";
import { startServer } from "./server.ts";
import { createUploadsFeature } from "./uploads/index.ts";
import { createTenantSecrets } from "./webhooks/tenant-secrets.ts";

// The async-jobs-server command: serve | worker | migrate (see USAGE).
async function main() {
  let config;
  try {
    config = loadConfig(process.argv.slice(2), process.env);
  } catch (error) {
    if (error instanceof ConfigError) {
      process.stderr.write(`error: ${error.message}\n\n${USAGE}`);
      process.exit(2);
    }
    throw error;
  }
  if (config.help) {
    process.stdout.write(USAGE);
    return;
  }
  const log = config.log ? (message: string, error?: unknown) => console.error(message, error ?? "") : undefined;

  if (config.command === "migrate") {
    const store = await openJobStore(config.store);
    await store.migrate();
    await store.close();
    process.stdout.write(`migrated ${config.store}\n`);
    return;
  }

  if (config.command === "webhook-secret") {
    const uploads = createUploadsFeature({ store: config.store, blobs: config.blobDir });
    await uploads.migrate();
    const secretsFor = createTenantSecrets({ perTenant: config.tenantWebhookSecrets, shared: config.webhookSecrets, masterKey: uploads.signingKey });
    process.stdout.write(`${(await secretsFor(config.secretTenant!)).join(",")}\n`);
    await uploads.close();
    return;
  }

  const server = await startServer(config, log ?? ((message, error) => console.error(message, error ?? "")));
  if (config.command === "serve") {
    process.stdout.write(`listening on ${server.url}\n`);
    if (config.generatedToken) process.stdout.write(`dev token: ${[...config.tokens.keys()][0]} (tenant "dev")\n`);
  } else {
    process.stdout.write(`worker ${server.worker?.id} on ${config.store}\n`);
  }
  // Each tenant's receivers verify with its own secret: the operator hands each its line.
  for (const tenant of new Set(config.command === "serve" ? config.tokens.values() : [])) {
    if (config.tenantWebhookSecrets.has(tenant) || !config.generatedWebhookSecret) continue;
    const [secret] = await server.webhookSecretsFor(tenant);
    process.stdout.write(`webhook secret of tenant "${tenant}": ${secret}\n`);
  }

  // SIGTERM drains: stop leasing, let running jobs finish within the grace, give the rest back.
  let stopping = false;
  const stop = (signal: string) => {
    if (stopping) return;
    stopping = true;
    process.stdout.write(`${signal}: draining\n`);
    server.close().then(
      () => process.exit(0),
      (error) => {
        console.error(error);
        process.exit(1);
      },
    );
  };
  process.on("SIGTERM", () => stop("SIGTERM"));
  process.on("SIGINT", () => stop("SIGINT"));
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});
