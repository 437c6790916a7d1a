import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { OTHER_TOKEN, TOKEN, startTestServer, type TestServer } from "../support/test-server.ts";

// Issue 13, finding 9: 300 concurrent `Prefer: wait=20` were all held. Held long polls are now
// capped per tenant and per process; past a cap the answer comes at once, without
// Preference-Applied (the preference is a hint, spec §2).

let t: TestServer;
let jobA = "";
let jobB = "";
beforeAll(async () => {
  // No worker: the jobs stay queued, so every wait is held to its end.
  t = await startTestServer(["--no-worker", "--max-held-waits-per-tenant", "2", "--max-held-waits", "3"]);
  jobA = (await t.request("POST", "/v1/jobs", { body: { type: "conformance.echo", input: {} } })).body.id;
  jobB = (await t.request("POST", "/v1/jobs", { body: { type: "conformance.echo", input: {} }, token: OTHER_TOKEN })).body.id;
});
afterAll(async () => {
  await t.close();
});

const HOLD_S = 6;

/** Starts a GET held for HOLD_S seconds (the job stays queued); resolves with how it was answered. */
function hold(id: string, token: string) {
  const started = Date.now();
  return fetch(`${t.url}/v1/jobs/${id}`, { headers: { authorization: `Bearer ${token}`, prefer: `wait=${HOLD_S}` } }).then(async (res) => {
    await res.text();
    return { status: res.status, applied: res.headers.get("preference-applied"), held: Date.now() - started >= HOLD_S * 1000 - 100 };
  });
}

async function answeredAtOnce(request: Promise<Response>) {
  const started = Date.now();
  const res = await request;
  await res.text();
  return { status: res.status, applied: res.headers.get("preference-applied"), ms: Date.now() - started };
}

const settle = () => new Promise((r) => setTimeout(r, 300));

describe("held long polls are capped (server policy, docs/server.md)", () => {
  it("per tenant and per process; past a cap, at once and without Preference-Applied; slots come back", async () => {
    const held = [hold(jobA, TOKEN), hold(jobA, TOKEN)];
    await settle();

    // Tenant a holds its 2: a third GET, and a POST with Prefer, are answered at once.
    const third = await answeredAtOnce(fetch(`${t.url}/v1/jobs/${jobA}`, { headers: { authorization: `Bearer ${TOKEN}`, prefer: "wait=10" } }));
    expect(third).toMatchObject({ status: 200, applied: null });
    expect(third.ms).toBeLessThan(HOLD_S * 1000 - 500);
    const submit = await answeredAtOnce(
      fetch(`${t.url}/v1/jobs`, {
        method: "POST",
        headers: { authorization: `Bearer ${TOKEN}`, prefer: "wait=10", "content-type": "application/json" },
        body: JSON.stringify({ type: "conformance.echo", input: {} }),
      }),
    );
    expect(submit).toMatchObject({ status: 202, applied: null });
    expect(submit.ms).toBeLessThan(HOLD_S * 1000 - 500);

    // Tenant b gets the process's third slot; its second wait finds the process full.
    const heldB = hold(jobB, OTHER_TOKEN);
    await settle();
    const fourth = await answeredAtOnce(fetch(`${t.url}/v1/jobs/${jobB}`, { headers: { authorization: `Bearer ${OTHER_TOKEN}`, prefer: "wait=10" } }));
    expect(fourth).toMatchObject({ status: 200, applied: null });

    // The first three were held to the end of their wait; after them, waits are held again.
    const first = { status: 200, applied: `wait=${HOLD_S}`, held: true };
    expect(await Promise.all([...held, heldB])).toEqual([first, first, first]);
    const again = await answeredAtOnce(fetch(`${t.url}/v1/jobs/${jobA}`, { headers: { authorization: `Bearer ${TOKEN}`, prefer: "wait=1" } }));
    expect(again).toMatchObject({ status: 200, applied: "wait=1" });
    expect(again.ms).toBeGreaterThanOrEqual(900);
  });
});
