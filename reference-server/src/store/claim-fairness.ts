/** A due queued job the claim may take, in claim order (oldest `run_at` first). */
export interface ClaimCandidate {
  id: string;
  tenant: string;
}

/**
 * The fairness rule of the claim (one place for both dialects): take the oldest due jobs, but
 * never more running jobs per tenant than `maxRunningPerTenant`, counting the ones this claim
 * takes. So one tenant's long jobs leave the other workers' slots to other tenants (a tenant
 * at its limit is skipped, not waited for).
 *
 * @example
 * pickClaims([{ id: "a1", tenant: "a" }, { id: "a2", tenant: "a" }, { id: "b1", tenant: "b" }], new Map([["a", 1]]), 2, 2);
 * // ["a1", "b1"]
 */
export function pickClaims(
  candidates: readonly ClaimCandidate[],
  running: ReadonlyMap<string, number>,
  limit: number,
  maxRunningPerTenant: number,
): string[] {
  const counts = new Map(running);
  const picked: string[] = [];
  for (const candidate of candidates) {
    if (picked.length >= limit) break;
    const n = counts.get(candidate.tenant) ?? 0;
    if (n >= maxRunningPerTenant) continue;
    counts.set(candidate.tenant, n + 1);
    picked.push(candidate.id);
  }
  return picked;
}

/**
 * Tenants already at their limit: the candidate query leaves their jobs out, so a tenant
 * with a long backlog never hides another tenant's job behind it.
 *
 * @example
 * saturatedTenants(new Map([["a", 8], ["b", 1]]), 8); // ["a"]
 */
export function saturatedTenants(running: ReadonlyMap<string, number>, maxRunningPerTenant: number): string[] {
  return [...running].filter(([, n]) => n >= maxRunningPerTenant).map(([tenant]) => tenant);
}

/** How many candidates a fair claim reads for `limit` picks (some may belong to tenants near their limit). */
export const candidateWindow = (limit: number) => Math.max(limit * 4, 32);
