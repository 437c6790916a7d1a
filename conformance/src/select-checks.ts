import type { Check } from "./check.ts";

/**
 * Compiles a glob over check ids (`*` any run of characters, `?` one) to a RegExp.
 *
 * @example
 * globToRegExp("idempotency.*").test("idempotency.replay") // true
 */
export function globToRegExp(glob: string): RegExp {
  const body = glob
    .split("")
    .map((c) => (c === "*" ? ".*" : c === "?" ? "." : c.replace(/[.+^${}()|[\]\\]/g, "\\$&")))
    .join("");
  return new RegExp(`^${body}$`);
}

export interface Selection {
  /** Globs; a check runs only if one matches (default: all). */
  only?: readonly string[];
  /** Globs; a check matching one does not run. */
  skip?: readonly string[];
  /** `must` runs MUST checks only; `should` (default) runs both. */
  level?: "must" | "should";
}

/**
 * Picks the checks to run, keeping catalog order.
 *
 * @example
 * selectChecks(catalog, { only: ["auth.*"], level: "must" });
 */
export function selectChecks(checks: readonly Check[], selection: Selection): Check[] {
  const only = (selection.only ?? []).flatMap((g) => g.split(",")).filter(Boolean).map(globToRegExp);
  const skipped = (selection.skip ?? []).flatMap((g) => g.split(",")).filter(Boolean).map(globToRegExp);
  return checks.filter(
    (c) =>
      (only.length === 0 || only.some((r) => r.test(c.id))) &&
      !skipped.some((r) => r.test(c.id)) &&
      (selection.level !== "must" || c.level === "MUST"),
  );
}

/**
 * The `--only`/`--skip` patterns that match no check id: a typo would otherwise run nothing, or
 * everything, and pass.
 *
 * @example
 * unmatchedPatterns(catalog, { only: ["auht.*"] }) // [{ option: "only", pattern: "auht.*" }]
 */
export function unmatchedPatterns(checks: readonly Check[], selection: Pick<Selection, "only" | "skip">): { option: "only" | "skip"; pattern: string }[] {
  const unmatched: { option: "only" | "skip"; pattern: string }[] = [];
  for (const option of ["only", "skip"] as const) {
    for (const pattern of (selection[option] ?? []).flatMap((g) => g.split(",")).filter(Boolean)) {
      const regex = globToRegExp(pattern);
      if (!checks.some((c) => regex.test(c.id))) unmatched.push({ option, pattern });
    }
  }
  return unmatched;
}
