// async-jobs/msw: the whole API simulated in memory for msw 2 (spec §1-4). Entry only re-exports.
export { createJobsHandlers, createJobsMock, type JobsMock, type JobsMockOptions, type MockRequestRecord } from "./create-jobs-mock.ts";
export { runJobType, type MockJobTypesOption, type RunnableJobType } from "./job-type-runner.ts";
export type { MockFault } from "./mock-fault.ts";
export { builtInMockJobTypes, type MockJobContext, type MockJobRun, type MockJobType } from "./mock-job-type.ts";
export type { MockTimeMode } from "./virtual-scheduler.ts";
