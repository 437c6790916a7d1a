import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { parse } from "yaml";
import { OPENAPI_PATH } from "../../src/http/create-app.ts";
import { conformanceEcho } from "../../src/job-types/index.ts";
import { openApiWithJobTypes } from "../../src/job-types/served-openapi.ts";
import { limited, wordCount } from "./fixtures/jobs.ts";

type Schema = Record<string, any>;

describe("the served /openapi.yaml with the server's job types", () => {
  const contract = readFileSync(OPENAPI_PATH, "utf8");
  const served = parse(openApiWithJobTypes(contract, [conformanceEcho, wordCount, limited])) as { components: { schemas: Record<string, Schema> } };
  const schemas = served.components.schemas;

  it("makes SubmitJobRequest a oneOf discriminated by a const type, one variant per job type with its input schema", () => {
    const variants = (schemas.SubmitJobRequest!.oneOf as { $ref: string }[]).map((v) => schemas[v.$ref.split("/").pop()!]!);
    expect(variants.map((v) => v.properties.type)).toEqual([{ const: "conformance.echo" }, { const: "text.wordcount" }, { const: "test.limited" }]);
    expect(variants.map((v) => v.properties.input.$ref)).toEqual([
      "#/components/schemas/EchoInput",
      "#/components/schemas/TextWordcountInput",
      "#/components/schemas/TestLimitedInput",
    ]);
    // The rest of a submit stays as the contract has it.
    expect(variants[1]!.required).toEqual(["type", "input"]);
    expect(Object.keys(variants[1]!.properties)).toEqual(["type", "input", "webhook", "metadata", "max_attempts"]);
    expect(variants[1]!.additionalProperties).toBe(false);
  });

  it("carries each type's zod-made JSON Schemas (without $schema) and a Job variant before CustomJob, which excludes the listed types", () => {
    expect(schemas.TextWordcountInput).toEqual({
      description: "Input of `text.wordcount`.",
      type: "object",
      properties: { text: { type: "string", maxLength: 1000 } },
      required: ["text"],
    });
    expect(schemas.TextWordcountResult!.properties).toEqual({ words: { type: "integer", minimum: expect.any(Number), maximum: expect.any(Number) } });
    const jobs = (schemas.Job!.oneOf as { $ref: string }[]).map((v) => v.$ref.split("/").pop());
    expect(jobs).toEqual(["EchoJob", "ChecksumJob", "GzipJob", "TextWordcountJob", "TestLimitedJob", "CustomJob"]);
    expect(schemas.TextWordcountJob!.allOf[1].properties.type).toEqual({ const: "text.wordcount" });
    expect(schemas.CustomJob!.allOf[1].properties.type.not.enum).toEqual(
      expect.arrayContaining(["conformance.echo", "file.checksum", "file.gzip", "text.wordcount", "test.limited"]),
    );
  });

  it("leaves the rest of the contract as it is", () => {
    const original = parse(contract) as { paths: unknown; components: { schemas: Record<string, Schema> } };
    expect((served as unknown as { paths: unknown }).paths).toEqual(original.paths);
    expect(schemas.JobCommon).toEqual(original.components.schemas.JobCommon);
  });
});
