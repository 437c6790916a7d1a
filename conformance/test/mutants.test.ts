import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { catalog } from "../src/checks/index.ts";
import { runConformance } from "../src/run-conformance.ts";
import { freePort } from "../../test/helpers/free-port.ts";
import { startMutationProxy } from "./support/mutation-proxy.ts";
import { type Mutant, mutants } from "./support/mutants.ts";
import { type ReferenceServer, startReferenceServer } from "./support/reference-server.ts";

let server: ReferenceServer;
// A production-like server: it refuses private webhook URLs (so no webhook check can run on it).
let refusing: ReferenceServer;
beforeAll(async () => {
  [server, refusing] = await Promise.all([startReferenceServer(), startReferenceServer({ allowPrivateWebhooks: false })]);
}, 40_000);
afterAll(async () => {
  await Promise.all([server?.stop(), refusing?.stop()]);
});

/** Runs `only` through a proxy pair (suite → server, server → receiver) carrying the mutant's bug. */
async function runThrough(mutant: Pick<Mutant, "api" | "webhook" | "privateWebhooks"> | undefined, only: readonly string[] | undefined) {
  const port = await freePort();
  const target = mutant?.privateWebhooks === "refused" ? refusing : server;
  const api = await startMutationProxy(target.baseUrl, mutant?.api ?? {});
  const hooks = await startMutationProxy(`http://127.0.0.1:${port}`, mutant?.webhook?.(server.webhookSecret) ?? {});
  try {
    return await runConformance({
      ...target.options,
      privateWebhooks: mutant?.privateWebhooks,
      baseUrl: api.url,
      webhookListen: `127.0.0.1:${port}`,
      webhookPublicUrl: hooks.url,
      only,
    });
  } finally {
    await api.close();
    await hooks.close();
  }
}

describe("mutation harness", () => {
  it("has at least 25 mutants, each naming killers from the catalog", () => {
    expect(mutants.length).toBeGreaterThanOrEqual(25);
    const ids = new Set(catalog.map((c) => c.id));
    for (const m of mutants) for (const k of m.killers) expect(ids.has(k), `${m.id}: unknown check ${k}`).toBe(true);
    expect(new Set(mutants.map((m) => m.id)).size).toBe(mutants.length);
  });

  it("through identity proxies the killers all pass (the proxies add no bug)", async () => {
    const killers = (privateWebhooks: "refused" | undefined) => [...new Set(mutants.filter((m) => m.privateWebhooks === privateWebhooks).flatMap((m) => m.killers))];
    const [open, production] = await Promise.all([
      runThrough(undefined, killers(undefined)),
      runThrough({ privateWebhooks: "refused" }, killers("refused")),
    ]);
    for (const report of [open, production]) expect(report.results.filter((r) => r.outcome !== "passed").map((r) => `${r.id}: ${r.message}`)).toEqual([]);
    expect(production.results.length).toBeGreaterThan(0);
  }, 60_000);

  describe.concurrent("every mutant is killed by the right check", () => {
    for (const mutant of mutants) {
      it(`${mutant.id}: ${mutant.bug}`, async () => {
        const report = await runThrough(mutant, mutant.killers);
        const failed = report.results.filter((r) => r.outcome === "failed").map((r) => r.id);
        const skipped = report.results.filter((r) => r.outcome === "skipped").map((r) => `${r.id}: ${r.message}`);
        expect(skipped).toEqual([]);
        expect(failed.length, `${mutant.id} survived: none of ${mutant.killers.join(", ")} failed`).toBeGreaterThan(0);
        expect(report.ok).toBe(false);
      }, 60_000);
    }
  });
});
