/**
 * The Standard Schema v1 interface (standardschema.dev), copied as its authors intend so that
 * the SDK depends on no schema library: zod (3.24+, 4), Valibot and ArkType schemas all
 * implement it. An app that passes none loads none.
 *
 * @example
 * const schema: StandardSchemaV1<unknown, { url: string }> = z.object({ url: z.string() })
 */
export interface StandardSchemaV1<Input = unknown, Output = Input> {
  readonly "~standard": {
    readonly version: 1;
    readonly vendor: string;
    readonly validate: (value: unknown) => StandardSchemaResult<Output> | Promise<StandardSchemaResult<Output>>;
    readonly types?: { readonly input: Input; readonly output: Output } | undefined;
  };
}

/** What a Standard Schema's `validate` returns: the (possibly transformed) value, or issues. */
export type StandardSchemaResult<Output> =
  | { readonly value: Output; readonly issues?: undefined }
  | { readonly issues: ReadonlyArray<StandardSchemaIssue> };

/** One problem a schema found, with where it is (`path`), as Standard Schema reports it. */
export interface StandardSchemaIssue {
  readonly message: string;
  readonly path?: ReadonlyArray<PropertyKey | { readonly key: PropertyKey }> | undefined;
}

/**
 * The schemas of one job type: the same `input`/`result` pair the server's `defineJobType`
 * takes, so one module can serve both sides. Either may be left out.
 *
 * @example
 * const reportRender = { input: z.object({ pages: z.number() }), result: z.object({ url: z.string() }) }
 */
export interface JobTypeSchema {
  input?: StandardSchemaV1 | undefined;
  result?: StandardSchemaV1 | undefined;
}

/** Schemas per job type name, as `createClient({ jobTypes })` takes them. */
export type JobTypeSchemas = Record<string, JobTypeSchema>;

type InputOf<S> = S extends StandardSchemaV1<infer I, unknown> ? I : unknown;
type OutputOf<S> = S extends StandardSchemaV1<unknown, infer O> ? O : unknown;

/**
 * The job type map a set of schemas describes: what `submit` accepts (the schema's input side)
 * and what a wait returns (its output side).
 *
 * @example
 * type Mine = JobTypesOfSchemas<{ "report.render": typeof reportRender }> // { "report.render": { input: { pages: number }; result: { url: string } } }
 */
export type JobTypesOfSchemas<S extends JobTypeSchemas> = {
  [K in keyof S & string]: { input: InputOf<S[K]["input"]>; result: OutputOf<S[K]["result"]> };
};
