import { describe, expect, it } from "vitest";
import { createHeldWaits } from "../../src/http/held-waits.ts";

describe("createHeldWaits", () => {
  it("caps per tenant and in all, and gives slots back once each", () => {
    const waits = createHeldWaits({ max: 3, perTenant: 2 });
    const a1 = waits.tryHold("a");
    const a2 = waits.tryHold("a");
    expect(a1 && a2).toBeTruthy();
    expect(waits.tryHold("a")).toBeUndefined();
    const b1 = waits.tryHold("b");
    expect(b1).toBeDefined();
    expect(waits.tryHold("c")).toBeUndefined();
    expect(waits.held).toBe(3);
    a1!();
    a1!(); // a second release changes nothing
    expect(waits.held).toBe(2);
    expect(waits.tryHold("b")).toBeDefined();
    expect(waits.tryHold("a")).toBeUndefined();
  });
});
