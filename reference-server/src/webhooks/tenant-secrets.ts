import { createHmac } from "node:crypto";

/** Where each tenant's webhook signing secrets come from. */
export interface TenantSecretsOptions {
  /** Secrets configured for one tenant (`--webhook-secret tenant:whsec_…`), newest first. */
  perTenant: ReadonlyMap<string, readonly string[]>;
  /** Secrets for every tenant without its own (`--shared-webhook-secret`); empty: derived per tenant. */
  shared: readonly string[];
  /** The deployment's random key, the same in every process (kept in the store). */
  masterKey: () => Promise<Uint8Array>;
}

/** A tenant's signing secrets, newest first. */
export type SecretsFor = (tenant: string) => Promise<readonly string[]>;

/**
 * Each tenant's webhook secrets (spec §3): its own when configured, the shared ones when the
 * operator chose to share, else `whsec_` + HMAC-SHA256(master key, tenant). A derived secret
 * is the same in every process of a deployment (the master key lives in the store) and tells
 * nothing about another tenant's, so a tenant that can verify its own events cannot forge
 * events to another tenant's receiver.
 *
 * @example
 * const secretsFor = createTenantSecrets({ perTenant: new Map(), shared: [], masterKey: async () => key });
 * await secretsFor("acme"); // ["whsec_…"]
 */
export function createTenantSecrets(options: TenantSecretsOptions): SecretsFor {
  let master: Promise<Uint8Array> | undefined;
  return async (tenant) => {
    const own = options.perTenant.get(tenant);
    if (own && own.length > 0) return own;
    if (options.shared.length > 0) return options.shared;
    master ??= options.masterKey();
    return [deriveWebhookSecret(await master, tenant)];
  };
}

/**
 * The derived secret of one tenant: `whsec_` + base64(HMAC-SHA256(master, label + tenant)).
 *
 * @example
 * deriveWebhookSecret(key, "acme"); // "whsec_…" (32 bytes)
 */
export function deriveWebhookSecret(master: Uint8Array, tenant: string): string {
  // The label keeps this use of the key apart from its other ones (part URL signatures).
  const mac = createHmac("sha256", master).update(`async-jobs webhook secret\n${tenant}`).digest();
  return `whsec_${mac.toString("base64")}`;
}
