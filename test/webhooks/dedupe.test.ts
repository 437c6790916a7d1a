import { describe, expect, it } from "vitest";
import { createWebhookDedupe } from "async-jobs/webhooks";

describe("createWebhookDedupe", () => {
  it("reports an id as seen from its second sighting on", () => {
    const dedupe = createWebhookDedupe();
    expect(dedupe.seen("a")).toBe(false);
    expect(dedupe.seen("a")).toBe(true);
    expect(dedupe.seen("b")).toBe(false);
  });

  it("forgets the least recently seen id beyond max, and refreshes on each sighting", () => {
    const dedupe = createWebhookDedupe({ max: 2 });
    dedupe.seen("a");
    dedupe.seen("b");
    dedupe.seen("a"); // a is now the most recent
    dedupe.seen("c"); // evicts b
    expect(dedupe.seen("a")).toBe(true);
    expect(dedupe.seen("b")).toBe(false);
  });

  it("forget() lets the id through again", () => {
    const dedupe = createWebhookDedupe();
    dedupe.seen("a");
    dedupe.forget("a");
    expect(dedupe.seen("a")).toBe(false);
  });
});
