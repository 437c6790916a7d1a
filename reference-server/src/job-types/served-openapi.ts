import { parse as parseYaml, stringify as stringifyYaml } from "yaml";
import type { JobTypeDefinition } from "./job-type-definition.ts";

type Schema = Record<string, unknown>;
type Spec = { components: { schemas: Record<string, Schema> } } & Record<string, unknown>;

/** The schema names the contract already gives the built-in types. */
const BUILT_IN_NAMES: Record<string, string> = {
  "conformance.echo": "Echo",
  "file.checksum": "Checksum",
  "file.gzip": "Gzip",
};

/** The schema names of one job type under `components.schemas`. */
type SchemaNames = { input: string; result: string; job: string; submit: string };

/** `text.wordcount` → `TextWordcount`. */
function pascalCase(type: string): string {
  return type
    .split(/[^A-Za-z0-9]+/)
    .filter(Boolean)
    .map((part) => part[0]!.toUpperCase() + part.slice(1))
    .join("");
}

/** A JSON Schema document as an OpenAPI 3.1 schema object (its dialect is the document's). */
function embedded(schema: Schema): Schema {
  const { $schema: _dialect, ...rest } = schema;
  return rest;
}

const ref = (name: string) => ({ $ref: `#/components/schemas/${name}` });

/**
 * The server's own contract with its job types in it (served at `GET /openapi.yaml`): each
 * type's input and result schemas, a `Job` variant per type and a `SubmitJobRequest` that is a
 * `oneOf` discriminated by `type`, so `openapi-typescript` on it types a client by job type.
 *
 * @example
 * const yaml = openApiWithJobTypes(readFileSync(OPENAPI_PATH, "utf8"), registry.definitions());
 */
export function openApiWithJobTypes(specText: string, definitions: readonly JobTypeDefinition[]): string {
  const spec = parseYaml(specText) as Spec;
  const schemas = spec.components.schemas;
  const jobVariants = (schemas.Job!.oneOf as Schema[]).filter((s) => s.$ref !== "#/components/schemas/CustomJob");
  const { type: _type, input: _input, ...submitCommon } = schemas.SubmitJobRequest!.properties as Schema;
  const submitRequired = (schemas.SubmitJobRequest!.required as string[]) ?? ["type", "input"];
  const submitVariants: Schema[] = [];
  const unique = (name: string) => {
    let candidate = name;
    for (let i = 2; candidate in schemas; i++) candidate = `${name}${i}`;
    return candidate;
  };

  for (const definition of definitions) {
    const builtIn = BUILT_IN_NAMES[definition.type];
    const base = builtIn ?? pascalCase(definition.type);
    let names: SchemaNames;
    if (builtIn) {
      names = { input: `${base}Input`, result: `${base}Result`, job: `${base}Job`, submit: unique(`Submit${base}JobRequest`) };
    } else {
      names = { input: unique(`${base}Input`), result: "", job: "", submit: "" };
      schemas[names.input] = { description: `Input of \`${definition.type}\`.`, ...embedded(definition.inputSchema) };
      names.result = unique(`${base}Result`);
      schemas[names.result] = { description: `Result of \`${definition.type}\`.`, ...embedded(definition.resultSchema) };
      names.job = unique(`${base}Job`);
      schemas[names.job] = {
        description: `A \`${definition.type}\` job: ${definition.description}`,
        allOf: [
          ref("JobCommon"),
          {
            type: "object",
            required: ["type", "input", "result"],
            properties: {
              type: { const: definition.type },
              input: ref(names.input),
              result: { oneOf: [ref(names.result), { type: "null" }] },
            },
          },
        ],
      };
      jobVariants.push(ref(names.job));
      names.submit = unique(`Submit${base}JobRequest`);
    }
    schemas[names.submit] = {
      type: "object",
      description: `A submit of \`${definition.type}\`.`,
      required: submitRequired,
      properties: { type: { const: definition.type }, input: ref(names.input), ...submitCommon },
      additionalProperties: false,
    };
    submitVariants.push(ref(names.submit));
  }

  const known = definitions.map((d) => d.type);
  const custom = schemas.CustomJob!.allOf as Schema[];
  const customType = ((custom[1]!.properties as Schema).type as Schema) ?? {};
  const excluded = ((customType.not as { enum?: string[] } | undefined)?.enum ?? []).filter((t) => !known.includes(t));
  customType.not = { enum: [...excluded, ...known] };
  schemas.Job!.oneOf = [...jobVariants, ref("CustomJob")];
  schemas.SubmitJobRequest = {
    description: "A submit, discriminated on `type`: one variant per job type of this server.",
    oneOf: submitVariants,
  };
  return stringifyYaml(spec, { lineWidth: 0 });
}
