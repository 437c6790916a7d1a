import { createHmac } from "node:crypto";
import { verifyWebhookSignature } from "async-jobs/webhooks";

/** Why a webhook signature did not verify, or `undefined` when one signature matches. */
export type SignatureProblem = string | undefined;

/**
 * Checks a Standard Webhooks signature over the raw body bytes with the SDK's verifier
 * (spec §3). The time window is left wide open: freshness is its own check.
 *
 * @example
 * const problem = await checkWebhookSignature("whsec_…", headers, rawBody); // undefined when valid
 */
export async function checkWebhookSignature(secret: string, headers: Record<string, string>, rawBody: Uint8Array): Promise<SignatureProblem> {
  try {
    await verifyWebhookSignature({ body: rawBody, headers }, secret, { toleranceSeconds: 10 * 365 * 24 * 3600 });
    return undefined;
  } catch (error) {
    const reason = (error as { reason?: string }).reason;
    return `${reason ?? "error"}: ${(error as Error).message}`;
  }
}

/**
 * Signs like a Standard Webhooks sender (the self-tests' mutants re-sign with it).
 *
 * @example
 * const header = signWebhook("whsec_…", "evt_1", "1700000000", body); // "v1,…"
 */
export function signWebhook(secret: string, id: string, timestamp: string, rawBody: Uint8Array | string): string {
  const key = Buffer.from(secret.startsWith("whsec_") ? secret.slice("whsec_".length) : secret, "base64");
  const mac = createHmac("sha256", key).update(`${id}.${timestamp}.`).update(rawBody).digest("base64");
  return `v1,${mac}`;
}
