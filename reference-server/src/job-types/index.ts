// The core job types; file.* types come from the uploads feature (src/uploads/index.ts).
export { conformanceEcho } from "./conformance-echo.ts";
export { defineJobType, type DefinedJobType, type ZodJobTypeOptions } from "./define-job-type.ts";
export { JobFailure, type JobRunContext, type JobTypeDefinition, type JobUpload, type JobUploads, type JobValidateContext } from "./job-type-definition.ts";
export { createJobTypeRegistry, toFieldErrors, type JobTypeRegistry } from "./job-type-registry.ts";
export type { JobTypesOf } from "./job-types-of.ts";
