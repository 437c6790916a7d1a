import type { Job, JobEvent, Upload } from "../types.ts";
import type { MockFault } from "./mock-fault.ts";
import type { MockRequestRecord, MockState } from "./mock-state.ts";

/**
 * What a test does to a mock besides sending requests: move virtual time, inject faults,
 * pause workers, look at and change jobs.
 *
 * @example
 * mock.advance(2000);
 * mock.inject({ status: 503 });
 */
export interface JobsMockControls {
  /** The base URL to point the SDK at. */
  readonly baseUrl: string;
  /** Every request answered so far, oldest first. */
  readonly requests: MockRequestRecord[];
  /** Terminal events of jobs with a webhook, oldest first. */
  readonly events: JobEvent[];
  /** Current virtual time. */
  now(): Date;
  /** Moves virtual time forward; jobs progress and finish, held long polls answer. */
  advance(ms: number): void;
  /** Moves virtual time to the next scheduled change; false when nothing is scheduled. */
  step(): boolean;
  /** Runs every scheduled change (all jobs end unless workers are paused). */
  runAll(): void;
  /** Queues a fault (see {@link MockFault}). */
  inject(fault: MockFault): void;
  /** Drops every queued fault. */
  clearFaults(): void;
  /** Requests held in a `Prefer: wait` right now (manual time): wait for one before `advance()`. */
  heldRequests(): number;
  /** Stops starting queued jobs (to test queued cancels); running ones go on. */
  pauseWorkers(): void;
  resumeWorkers(): void;
  /** A snapshot of every job, newest first, or of one. */
  jobs(): Job[];
  job(id: string): Job | undefined;
  /** A snapshot of every upload. */
  uploads(): Upload[];
  /** Ends a job now with this result. */
  succeedJob(id: string, result?: unknown): void;
  /** Ends a job now as failed with this problem code. */
  failJob(id: string, error: { code: string; message?: string; status?: number }): void;
  /** Sets a job's progress now. */
  setProgress(id: string, percent: number, message?: string | null): void;
}

/**
 * The control API over a mock's state.
 *
 * @example
 * const controls = createMockControls(createMockState({ time: "manual" }));
 */
export function createMockControls(state: MockState): JobsMockControls {
  const { scheduler, jobs, uploads } = state;
  const byId = (id: string) => {
    const rec = jobs.byId(id);
    if (!rec) throw new Error(`No job ${id} in the mock.`);
    return rec;
  };
  const after = () => {
    scheduler.runDue();
    jobs.notify();
  };
  const step = () => {
    const next = scheduler.nextAt();
    if (next === undefined) return false;
    scheduler.skipTo(next);
    after();
    return true;
  };

  return {
    baseUrl: state.baseUrl,
    requests: state.requests,
    events: state.events,
    now: () => new Date(scheduler.now()),
    advance(ms) {
      scheduler.advance(ms);
      after();
    },
    step,
    runAll() {
      for (let i = 0; i < 1_000_000 && step(); i++);
    },
    inject: (fault) => void state.faults.push(fault),
    clearFaults: () => void state.faults.splice(0),
    heldRequests: () => jobs.held(),
    pauseWorkers: () => jobs.pause(),
    resumeWorkers: () => jobs.resume(),
    jobs: () => [...jobs.records].reverse().map(jobs.view),
    job: (id) => {
      const rec = jobs.byId(id);
      return rec && jobs.view(rec);
    },
    uploads: () => uploads.all(),
    succeedJob: (id, result = {}) => (jobs.end(byId(id), { result }), after()),
    failJob: (id, error) => (jobs.end(byId(id), { error }), after()),
    setProgress: (id, percent, message = null) => (jobs.progress(byId(id), percent, message), after()),
  };
}
