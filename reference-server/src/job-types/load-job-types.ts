import { resolve } from "node:path";
import { pathToFileURL } from "node:url";
import type { JobTypeDefinition } from "./job-type-definition.ts";

/** Job types as an app hands them over: an array, or a record whose values are job types. */
export type JobTypeList = readonly JobTypeDefinition[] | Readonly<Record<string, JobTypeDefinition>>;

/**
 * The definitions of an array or a record, checked for the shape the server needs.
 *
 * @example
 * toJobTypeArray({ wordCount, resize }); // [wordCount, resize]
 */
export function toJobTypeArray(list: JobTypeList | undefined, source = "jobTypes"): JobTypeDefinition[] {
  if (list === undefined) return [];
  const values = Array.isArray(list) ? list : typeof list === "object" && list !== null ? Object.values(list) : undefined;
  if (!values) throw new TypeError(`${source}: expected an array or a record of job types`);
  values.forEach((value: unknown, i) => {
    const d = value as Partial<JobTypeDefinition> | null;
    if (!d || typeof d.type !== "string" || typeof d.run !== "function" || typeof d.inputSchema !== "object") {
      throw new TypeError(`${source}: entry ${i} is not a job type (make it with defineJobType)`);
    }
  });
  return values as JobTypeDefinition[];
}

/**
 * Imports job-types modules (`.ts` through the CLI's tsx hook, `.js`, `.mjs`) relative to `cwd`
 * and returns their default exports' job types, in order.
 *
 * @example
 * const jobTypes = await loadJobTypeModules(["./jobs.ts"]);
 */
export async function loadJobTypeModules(paths: readonly string[], cwd = process.cwd()): Promise<JobTypeDefinition[]> {
  const all: JobTypeDefinition[] = [];
  for (const path of paths) {
    const module = (await import(pathToFileURL(resolve(cwd, path)).href)) as { default?: JobTypeList };
    if (module.default === undefined) throw new TypeError(`${path}: no default export (export default [jobType, …])`);
    all.push(...toJobTypeArray(module.default, path));
  }
  return all;
}
