import { Ajv2020, type ErrorObject, type ValidateFunction } from "ajv/dist/2020.js";
import addFormats from "ajv-formats";
import type { JobType, ProblemFieldError } from "async-jobs/types";
import type { JobTypeDefinition } from "./job-type-definition.ts";

/** The server's job types, with their compiled input validators. */
export interface JobTypeRegistry {
  get(type: string): JobTypeDefinition | undefined;
  /** Every definition, in registration order. */
  definitions(): JobTypeDefinition[];
  /** `GET /v1/job-types` body entries. */
  list(): JobType[];
  /** Schema errors of `input` for `type`, paths from the body root (`/input/…`); empty when valid. */
  checkInput(type: string, input: unknown): ProblemFieldError[];
}

/** Turns ajv errors into contract field errors under `prefix` (a JSON Pointer). */
export function toFieldErrors(errors: ErrorObject[] | null | undefined, prefix: string): ProblemFieldError[] {
  return (errors ?? []).map((e) => {
    let path = prefix + e.instancePath;
    if (e.keyword === "required") path += `/${escapePointer(String(e.params.missingProperty))}`;
    if (e.keyword === "additionalProperties") path += `/${escapePointer(String(e.params.additionalProperty))}`;
    return { path, message: e.message ?? "is invalid" };
  });
}

function escapePointer(token: string): string {
  return token.replace(/~/g, "~0").replace(/\//g, "~1");
}

/**
 * Builds a registry from definitions (the type names must be unique).
 *
 * @example
 * const registry = createJobTypeRegistry([conformanceEcho]);
 * registry.checkInput("conformance.echo", { duration_ms: -1 }); // [{ path: "/input/duration_ms", … }]
 */
export function createJobTypeRegistry(definitions: readonly JobTypeDefinition[]): JobTypeRegistry {
  const ajv = new Ajv2020({ allErrors: true, strict: false });
  (addFormats as unknown as (a: Ajv2020) => void)(ajv);
  const byType = new Map<string, { definition: JobTypeDefinition; validate: ValidateFunction | undefined }>();
  for (const definition of definitions) {
    if (byType.has(definition.type)) throw new Error(`duplicate job type ${definition.type}`);
    // A type with its own check (zod) needs no ajv validator.
    const validate = definition.checkInput ? undefined : ajv.compile(definition.inputSchema);
    byType.set(definition.type, { definition, validate });
  }
  return {
    get: (type) => byType.get(type)?.definition,
    definitions: () => [...byType.values()].map(({ definition }) => definition),
    list: () =>
      [...byType.values()].map(({ definition }) => ({
        type: definition.type,
        description: definition.description,
        input_schema: definition.inputSchema,
        result_schema: definition.resultSchema,
        // The generated type says Record<string, never> for a free-form object schema.
      })) as unknown as JobType[],
    checkInput(type, input) {
      const entry = byType.get(type);
      if (!entry) return [{ path: "/type", message: `unknown job type ${type}` }];
      if (!entry.validate) return entry.definition.checkInput!(input);
      return entry.validate(input) ? [] : toFieldErrors(entry.validate.errors, "/input");
    },
  };
}
