/**
 * Remembers which `webhook-id`s were handled, so a retried or replayed event is acknowledged
 * without being acted on twice (spec §3: receivers dedupe on `webhook-id`). Back it with
 * your database for several instances; `createWebhookDedupe` is the in-memory version.
 *
 * @example
 * const dedupe: WebhookDedupe = { seen: async (id) => !(await db.insertIfAbsent(id)) }
 */
export interface WebhookDedupe {
  /** Records `id` and answers whether it was already recorded. */
  seen(id: string): boolean | Promise<boolean>;
  /** Un-records `id` (its handling failed, so the sender's retry must get through). */
  forget?(id: string): void | Promise<void>;
}

/**
 * An in-memory LRU of the last `max` webhook ids (one process only).
 *
 * @example
 * const handler = webhookHandler(secret, onEvent, { dedupe: createWebhookDedupe({ max: 5000 }) })
 */
export function createWebhookDedupe(
  options: {
    /**
     * How many ids to remember.
     * @default 10000
     */
    max?: number;
  } = {},
): Required<WebhookDedupe> & { seen(id: string): boolean; forget(id: string): void } {
  const max = options.max ?? 10_000;
  // A Map iterates in insertion order, so its first key is the least recently seen.
  const ids = new Map<string, true>();
  return {
    seen(id) {
      const known = ids.delete(id);
      ids.set(id, true);
      if (ids.size > max) ids.delete(ids.keys().next().value!);
      return known;
    },
    forget(id) {
      ids.delete(id);
    },
  };
}
