// async-jobs-server as a library: define job types, run the server, a worker or the fastify plugin.
export {
  createJobsServer,
  type JobsServer,
  type JobsServerOptions,
} from "./create-jobs-server.ts";
export { asyncJobs, type AsyncJobsPluginOptions } from "./fastify-plugin.ts";
export {
  defineJobType,
  JobFailure,
  type DefinedJobType,
  type JobRunContext,
  type JobTypeDefinition,
  type JobTypesOf,
  type JobUpload,
  type JobUploads,
  type JobValidateContext,
  type ZodJobTypeOptions,
} from "./job-types/index.ts";
export type { JobTypeList } from "./job-types/load-job-types.ts";
export { startWorker, type JobsWorker } from "./start-worker.ts";
