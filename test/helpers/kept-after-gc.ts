import { setFlagsFromString } from "node:v8";
import { runInNewContext } from "node:vm";

// A full collection on demand, as `node --expose-gc` would give it, without a flag on the runner.
setFlagsFromString("--expose-gc");
const collectGarbage = runInNewContext("gc") as () => void;

/**
 * How many of `refs` still reach their object after a full GC: what a component under test kept
 * alive. Waits a macrotask first (a WeakRef holds its target until the job that made or read it
 * ends).
 *
 * @example
 * const passedOn = chunks.map((c) => new WeakRef(c)); chunks.length = 0;
 * expect(await keptAfterGc(passedOn)).toBe(0);
 */
export async function keptAfterGc(refs: readonly WeakRef<object>[]): Promise<number> {
  await new Promise((resolve) => setTimeout(resolve, 0));
  collectGarbage();
  return refs.filter((ref) => ref.deref() !== undefined).length;
}
