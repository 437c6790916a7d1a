/** Options of {@link createHeldWaits}. */
export interface HeldWaitsOptions {
  /** Long polls held at once by the process. */
  max: number;
  /** Long polls held at once by one tenant. */
  perTenant: number;
}

/** Counts the long polls (`Prefer: wait`) being held, so no tenant can hold them all. */
export interface HeldWaits {
  /**
   * A slot for one held wait, or `undefined` when a cap is reached: the request is then answered
   * at once, as if it sent no `Prefer: wait` (spec §2: the preference is a hint). Call the
   * returned release exactly once when the wait ends.
   */
  tryHold(tenant: string): (() => void) | undefined;
  /** Waits held now (all tenants). */
  readonly held: number;
}

/**
 * Caps held long polls per tenant and globally: each held wait keeps a socket, a store
 * subscription and a timer, so a tenant opening thousands of them would starve everyone else.
 *
 * @example
 * const waits = createHeldWaits({ max: 1000, perTenant: 100 });
 * const release = waits.tryHold("acme");
 * if (release) try { await longPoll(); } finally { release(); }
 */
export function createHeldWaits(options: HeldWaitsOptions): HeldWaits {
  const byTenant = new Map<string, number>();
  let held = 0;
  return {
    tryHold(tenant) {
      const mine = byTenant.get(tenant) ?? 0;
      if (held >= options.max || mine >= options.perTenant) return undefined;
      held++;
      byTenant.set(tenant, mine + 1);
      let released = false;
      return () => {
        if (released) return;
        released = true;
        held--;
        const left = byTenant.get(tenant)! - 1;
        if (left === 0) byTenant.delete(tenant);
        else byTenant.set(tenant, left);
      };
    },
    get held() {
      return held;
    },
  };
}
