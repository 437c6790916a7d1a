import { formatRetryAfter } from "async-jobs/protocol";
import { describe, expect, it } from "vitest";
import { estimatedEnd, MAX_ESTIMATED_POLL_S, suggestedPollSeconds } from "../../src/store/poll-estimate.ts";

const running = { status: "running" as const, attempt: 1, cancelRequested: false, startedAt: 10_000, updatedAt: 20_000 };
const at = (percent: number) => ({ percent, message: null });

describe("estimatedEnd", () => {
  it("extrapolates the progress so far linearly from its last report", () => {
    // 25 % in 10 s: 30 s more.
    expect(estimatedEnd({ ...running, progress: at(25) })).toEqual({ startedAt: 10_000, endsAt: 50_000 });
    expect(estimatedEnd({ ...running, progress: at(50) })).toEqual({ startedAt: 10_000, endsAt: 30_000 });
  });

  it("says nothing without usable progress, off the first attempt, once a cancel is asked for, or when the job is not running", () => {
    expect(estimatedEnd({ ...running, progress: null })).toBeNull();
    expect(estimatedEnd({ ...running, progress: at(0) })).toBeNull();
    expect(estimatedEnd({ ...running, progress: at(100) })).toBeNull();
    expect(estimatedEnd({ ...running, attempt: 2, progress: at(50) })).toBeNull();
    expect(estimatedEnd({ ...running, cancelRequested: true, progress: at(50) })).toBeNull();
    expect(estimatedEnd({ ...running, status: "queued", progress: at(50) })).toBeNull();
    expect(estimatedEnd({ ...running, status: "succeeded", progress: at(50) })).toBeNull();
    expect(estimatedEnd({ ...running, startedAt: null, progress: at(50) })).toBeNull();
  });
});

describe("suggestedPollSeconds", () => {
  const estimate = { startedAt: 0, endsAt: 20_000 };

  it("suggests the time left, sent rounded up so the read lands after the estimated end", () => {
    expect(suggestedPollSeconds(estimate, 16_000, 1)).toBe(4);
    expect(formatRetryAfter(suggestedPollSeconds(estimate, 16_500, 1))).toBe("4");
  });

  it("never more than half the time the job has run, nor the cap", () => {
    expect(suggestedPollSeconds(estimate, 4_000, 1)).toBe(2);
    const long = { startedAt: 0, endsAt: 10 * 3_600_000 };
    expect(suggestedPollSeconds(long, 3_600_000, 1)).toBe(MAX_ESTIMATED_POLL_S);
  });

  it("never less than the operator's interval; that interval without an estimate or once it is due", () => {
    expect(suggestedPollSeconds(estimate, 19_900, 1)).toBe(1);
    expect(suggestedPollSeconds(estimate, 19_900, 5)).toBe(5);
    expect(suggestedPollSeconds(estimate, 25_000, 2)).toBe(2);
    expect(suggestedPollSeconds(null, 25_000, 3)).toBe(3);
  });
});
