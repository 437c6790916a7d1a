import type { ProblemFieldError } from "../types.ts";
import { invalidRequest } from "./problem-response.ts";

/** Checks one field's value: a message saying what is wrong, or undefined when it is fine. */
export type FieldCheck = (value: unknown) => string | undefined;

/**
 * An integer from `min` to `max`, inclusive.
 *
 * @example
 * integerIn(1, 100)(0) // "must be an integer from 1 to 100"
 */
export function integerIn(min: number, max = Number.MAX_SAFE_INTEGER, range = `${min} to ${max}`): FieldCheck {
  return (v) => (Number.isInteger(v) && (v as number) >= min && (v as number) <= max ? undefined : `must be an integer from ${range}`);
}

/**
 * A string of `min` to `max` characters.
 *
 * @example
 * stringOfLength(1, 200)("") // "must be a string of 1 to 200 characters"
 */
export function stringOfLength(min: number, max: number): FieldCheck {
  return (v) => (typeof v === "string" && v.length >= min && v.length <= max ? undefined : `must be a string of ${min} to ${max} characters`);
}

/**
 * Every field error of an object against field checks: not an object, a required field
 * missing, a field failing its check, a field not listed. Paths are JSON pointers under `at`.
 *
 * @example
 * fieldErrors({ pages: "x" }, { pages: integerIn(1) }, ["pages"], "/input") // [{ path: "/input/pages", message: "must be an integer from 1 to …" }]
 */
export function fieldErrors(value: unknown, fields: Record<string, FieldCheck>, required: string[], at = ""): ProblemFieldError[] {
  if (typeof value !== "object" || value === null || Array.isArray(value)) return [{ path: at, message: "must be an object" }];
  const record = value as Record<string, unknown>;
  const errors: ProblemFieldError[] = [];
  for (const name of required) if (!(name in record)) errors.push({ path: `${at}/${name}`, message: "is required" });
  for (const [name, field] of Object.entries(record)) {
    // Own keys only: a body key like "__proto__" must not find Object.prototype.
    const check = Object.hasOwn(fields, name) ? fields[name] : undefined;
    const message = check ? check(field) : "is not allowed";
    if (message) errors.push({ path: `${at}/${name}`, message });
  }
  return errors;
}

/**
 * Checks a request body against field checks; the first problem is a `400 invalid_request`
 * (spec §1).
 *
 * @example
 * checkBody(body, { numbers: (v) => (Array.isArray(v) ? undefined : "must be an array") }, ["numbers"])
 */
export function checkBody(body: unknown, fields: Record<string, FieldCheck>, required: string[]): Record<string, unknown> {
  const [first] = fieldErrors(body, fields, required);
  if (first) throw invalidRequest(first.path, first.message);
  return body as Record<string, unknown>;
}
