import type { JobTypeDefinition } from "./job-type-definition.ts";

/** The job types of an array or a record of definitions. */
type EntryOf<T> = T extends readonly (infer E)[] ? E : T[keyof T];

/** Client-side input and result of one definition: zod's input and output for defineJobType, else the generics. */
type ClientTypesOf<D> = D extends { readonly "~types"?: infer C }
  ? NonNullable<C> extends { input: infer I; result: infer R }
    ? { input: I; result: R }
    : never
  : D extends JobTypeDefinition<infer I, infer R>
    ? { input: I; result: R }
    : never;

/**
 * The SDK's job type map (`createClient<T>()`) for the job types a server runs: `input` is
 * what a client may send, `result` what it gets back, keyed by type name. Type-only.
 *
 * @example
 * import type { JobTypesOf } from "async-jobs-server";
 * import { jobTypes } from "./jobs.ts";
 * const client = createClient<JobTypesOf<typeof jobTypes>>({ baseUrl, token });
 * const job = await client.jobs.submitAndWait({ type: "text.wordcount", input: { text: "a b" } });
 * job.result.words; // number
 */
export type JobTypesOf<T> = {
  [D in EntryOf<T> as D extends { readonly type: infer N extends string } ? (string extends N ? never : N) : never]: ClientTypesOf<D>;
};
