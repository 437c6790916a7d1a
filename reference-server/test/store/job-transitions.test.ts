import type { Problem } from "async-jobs/types";
import { describe, expect, test } from "vitest";
import { type AttemptDecision, onAttemptFailed, onCancelRequested, onLeaseExpired } from "../../src/store/job-transitions.ts";
import { pickClaims, saturatedTenants } from "../../src/store/claim-fairness.ts";

const NOW = 1_800_000_000_000;
const boom: Problem = { type: "https://async-jobs.dev/problems/boom", title: "Boom", status: 500, detail: "boom", code: "boom" };
const job = (attempt: number, maxAttempts: number, cancelRequested = false) => ({ attempt, maxAttempts, cancelRequested });
const requeue = (runAt: number): AttemptDecision => ({ kind: "requeue", runAt });
const exhausted = { kind: "end", status: "failed", error: expect.objectContaining({ code: "attempts_exhausted" }) };
const canceled = { kind: "end", status: "canceled", error: null };

describe("onLeaseExpired", () => {
  test.each([
    ["attempts left → due again now", job(1, 3), requeue(NOW)],
    ["last attempt → attempts_exhausted", job(3, 3), exhausted],
    ["cancel requested → canceled (I-12)", job(1, 3, true), canceled],
    ["cancel requested on the last attempt → canceled", job(3, 3, true), canceled],
  ])("%s", (_, state, decision) => {
    expect(onLeaseExpired(state, NOW)).toEqual(decision);
  });
});

describe("onAttemptFailed", () => {
  const later = NOW + 500;
  test.each([
    ["retryable with attempts left → requeued at retryAt", job(1, 3), { error: boom, retryAt: later }, requeue(later)],
    ["retryable on the last attempt → attempts_exhausted", job(3, 3), { error: boom, retryAt: later }, exhausted],
    ["permanent → failed with its own error", job(1, 3), { error: boom }, { kind: "end", status: "failed", error: boom }],
    ["retryable while cancel requested → canceled (I-12)", job(1, 3, true), { error: boom, retryAt: later }, canceled],
    ["permanent while cancel requested → failed (it finished first)", job(1, 3, true), { error: boom }, { kind: "end", status: "failed", error: boom }],
  ])("%s", (_, state, failure, decision) => {
    expect(onAttemptFailed(state, failure)).toEqual(decision);
  });

  test("attempts_exhausted says why the last attempt failed", () => {
    const decision = onAttemptFailed(job(2, 2), { error: boom, retryAt: later });
    expect(decision.kind === "end" && decision.error?.detail).toMatch(/boom.*All 2 attempts/);
  });
});

describe("onCancelRequested", () => {
  test.each([
    ["queued", false, "cancel_now"],
    ["running", false, "flag_running"],
    ["running", true, "already_flagged"],
    ["canceled", true, "already_canceled"],
    ["succeeded", false, "terminal"],
    ["failed", true, "terminal"],
  ] as const)("%s (cancel_requested %s) → %s", (status, cancelRequested, kind) => {
    expect(onCancelRequested({ status, cancelRequested })).toEqual({ kind });
  });
});

describe("claim fairness", () => {
  const a = (n: number) => ({ id: `a${n}`, tenant: "a" });
  const b = (n: number) => ({ id: `b${n}`, tenant: "b" });
  test.each([
    ["no limit: oldest first", [a(1), a(2), b(1)], [], 2, Infinity, ["a1", "a2"]],
    ["a tenant at its limit is skipped, not waited for", [a(1), a(2), b(1)], [["a", 2]], 2, 2, ["b1"]],
    ["the claim's own picks count toward the limit", [a(1), a(2), a(3), b(1)], [["a", 1]], 3, 2, ["a1", "b1"]],
    ["fewer candidates than slots", [b(1)], [], 4, 2, ["b1"]],
  ] as const)("%s", (_, candidates, running, limit, max, picked) => {
    expect(pickClaims(candidates, new Map(running), limit, max)).toEqual(picked);
  });

  test("saturated tenants are those at or over the limit", () => {
    expect(saturatedTenants(new Map([["a", 3], ["b", 2], ["c", 1]]), 2)).toEqual(["a", "b"]);
  });
});
