import { decodeWebhookSecret } from "./secret.ts";

/**
 * Which HMAC implementation to use. `"auto"` takes node:crypto where the runtime offers it
 * (Node ≥ 20.16, Bun, Deno) and Web Crypto elsewhere; `"web"` always uses Web Crypto.
 *
 * @example
 * await verifyWebhook(request, secret, { crypto: "web" })
 */
export type WebhookCryptoMode = "auto" | "web";

// The few node:crypto members we use, typed here because the SDK compiles without Node types.
interface NodeHmac {
  update(data: string | Uint8Array): NodeHmac;
  digest(): Uint8Array;
}
interface NodeCrypto {
  createHmac(algorithm: "sha256", key: unknown): NodeHmac;
  createSecretKey?(key: Uint8Array): unknown;
}

/** @internal A decoded secret with its imported keys, kept so each secret is imported once. */
export interface WebhookKey {
  readonly raw: Uint8Array<ArrayBuffer>;
  node?: unknown;
  web?: Promise<CryptoKey>;
}

// undefined: not looked up yet; null: this runtime has no node:crypto.
let nodeCrypto: NodeCrypto | null | undefined;

function getNodeCrypto(): NodeCrypto | null {
  if (nodeCrypto === undefined) {
    // No static import: edge bundles stay free of node:crypto (issue #3, point 5). At 1 KiB
    // node:crypto is several times faster than Web Crypto, whose per-call cost dominates.
    const process = (globalThis as { process?: { getBuiltinModule?: (id: string) => unknown } })
      .process;
    nodeCrypto = (process?.getBuiltinModule?.("node:crypto") as NodeCrypto | undefined) ?? null;
  }
  return nodeCrypto;
}

/**
 * Which implementation `"auto"` resolves to in this runtime.
 *
 * @example
 * console.log(webhookCryptoBackend()) // "node" on Node 20.16+, "web" on Workers
 */
export function webhookCryptoBackend(mode: WebhookCryptoMode = "auto"): "node" | "web" {
  return mode === "auto" && getNodeCrypto() ? "node" : "web";
}

const keys = /* @__PURE__ */ new Map<string, WebhookKey>();

/**
 * @internal Decodes a secret once and caches it (a small cache: receivers have one or two
 * secrets; cleared when it grows past 64 so a caller cycling through many cannot grow it).
 *
 * @example
 * const key = importWebhookKey("whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw")
 */
export function importWebhookKey(secret: string, minBytes?: number): WebhookKey {
  let key = keys.get(secret);
  if (!key || key.raw.length < (minBytes ?? 1)) {
    key = { raw: decodeWebhookSecret(secret, minBytes) };
    if (keys.size >= 64) keys.clear();
    keys.set(secret, key);
  }
  return key;
}

const encoder = /* @__PURE__ */ new TextEncoder();

/**
 * @internal HMAC-SHA256 of `prefix` followed by `body`, without copying the body on the
 * node:crypto path.
 *
 * @example
 * const mac = await hmacSha256(key, `${id}.${timestamp}.`, body, "auto")
 */
export async function hmacSha256(
  key: WebhookKey,
  prefix: string,
  body: string | Uint8Array,
  mode: WebhookCryptoMode,
): Promise<Uint8Array> {
  const node = mode === "auto" ? getNodeCrypto() : null;
  if (node) {
    key.node ??= node.createSecretKey ? node.createSecretKey(key.raw) : key.raw;
    return node.createHmac("sha256", key.node).update(prefix).update(body).digest();
  }
  key.web ??= crypto.subtle.importKey("raw", key.raw, { name: "HMAC", hash: "SHA-256" }, false, [
    "sign",
  ]);
  let data: Uint8Array<ArrayBuffer>;
  if (typeof body === "string") {
    data = encoder.encode(prefix + body);
  } else {
    const head = encoder.encode(prefix);
    data = new Uint8Array(head.length + body.length);
    data.set(head);
    data.set(body, head.length);
  }
  return new Uint8Array(await crypto.subtle.sign("HMAC", await key.web, data));
}
