import { register as registerHooks } from "node:module";

/**
 * Resolves `async-jobs/*` and `async-jobs-server` to their TypeScript sources (the
 * "async-jobs-source" export condition), as the CLI does in the repository: the bench needs no
 * build. Call before importing the server's modules (dynamically).
 *
 * @example
 * useSourceConditions(); const { startServer } = await import("../../reference-server/src/server.ts");
 */
export function useSourceConditions(): void {
  registerHooks(
    `data:text/javascript,${encodeURIComponent(`export async function resolve(s, c, next) {
    return next(s, { ...c, conditions: c.conditions.includes("async-jobs-source") ? c.conditions : ["async-jobs-source", ...c.conditions] });
  }`)}`,
  );
}
