import { describe, expect, it } from "vitest";
import { createTypeSlots } from "../../src/worker/type-slots.ts";

describe("createTypeSlots (per-type concurrency of a worker)", () => {
  const never = new AbortController().signal;

  it("lets `limit` jobs of a type run, queues the next in order, and counts types apart", async () => {
    const slots = createTypeSlots();
    const a1 = await slots.acquire("a", 2, never);
    const a2 = await slots.acquire("a", 2, never);
    await slots.acquire("b", 2, never); // another type is not held up
    const order: string[] = [];
    const a3 = slots.acquire("a", 2, never).then((release) => (order.push("a3"), release));
    const a4 = slots.acquire("a", 2, never).then((release) => (order.push("a4"), release));
    await new Promise((r) => setTimeout(r, 10));
    expect(order).toEqual([]);
    a1();
    a1(); // a second release of the same slot frees nothing more
    await a3;
    expect(order).toEqual(["a3"]);
    a2();
    await a4;
    expect(order).toEqual(["a3", "a4"]);
  });

  it("a waiter whose signal aborts leaves the queue with the signal's reason", async () => {
    const slots = createTypeSlots();
    const held = await slots.acquire("a", 1, never);
    const controller = new AbortController();
    const waiting = slots.acquire("a", 1, controller.signal);
    controller.abort("canceled");
    await expect(waiting).rejects.toBe("canceled");
    held();
    const next = await slots.acquire("a", 1, never); // the slot went to nobody else
    expect(typeof next).toBe("function");
  });

  it("without a limit never waits", async () => {
    const slots = createTypeSlots();
    await Promise.all(Array.from({ length: 100 }, () => slots.acquire("a", undefined, never)));
  });
});
