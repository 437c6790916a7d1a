import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";

// Readers of docs/spec.md for the contract tests: its numbered headings, its §7 registry, and the
// section citations other files make. The spec is in the repository, so nothing here may skip.

/** The repository root, with a trailing slash. */
export const repoRoot = fileURLToPath(new URL("../../", import.meta.url));

/** The text of docs/spec.md. */
export function readSpec(): string {
  return readFileSync(`${repoRoot}docs/spec.md`, "utf8");
}

/** One numbered heading of the spec: `## 1. Conventions` is `{ number: "1", title: "Conventions" }`. */
export interface SpecHeading {
  number: string;
  title: string;
}

/**
 * The numbered headings of a spec text (levels 2 to 4), outside code fences.
 *
 * @example
 * specHeadings("### 2.3 Submit"); // [{ number: "2.3", title: "Submit" }]
 */
export function specHeadings(markdown: string): SpecHeading[] {
  const headings: SpecHeading[] = [];
  let fenced = false;
  for (const line of markdown.split("\n")) {
    if (line.startsWith("```")) fenced = !fenced;
    const match = fenced ? null : /^#{2,4} (\d+(?:\.\d+)*)\.? (.+?)\s*$/.exec(line);
    if (match) headings.push({ number: match[1]!, title: match[2]! });
  }
  return headings;
}

/** One row of the spec's problem registry (§7.1). */
export interface RegistryRow {
  code: string;
  status: number;
  title: string;
  type: string;
}

/**
 * The rows of the registry table in section 7 of a spec text, in order.
 *
 * @example
 * problemRegistry(readSpec())[0]!.code; // "unauthorized"
 */
export function problemRegistry(markdown: string): RegistryRow[] {
  const section = markdown.split(/^## 7\. /m)[1]?.split(/^## 8\. /m)[0] ?? "";
  return [...section.matchAll(/^\|(?: <a id="[a-z_]+"><\/a>| )`([a-z_]+)` \| (\d{3}) \| ([^|]+?) \| `([^`]+)` \|$/gm)].map(
    (m) => ({ code: m[1]!, status: Number(m[2]), title: m[3]!, type: m[4]! }),
  );
}

/** One `§` citation of the spec found in a text. */
export interface SpecCitation {
  /** The section number cited, e.g. "2.3". */
  number: string;
  /** For a conformance clause (`§2 Status (long poll)`), the name after the number ("Status"). */
  name?: string;
  /** 1-based line of the citation. */
  line: number;
  /** The citation as written, for messages. */
  text: string;
}

// A citation of another document: `RFC 9457 §3.1.1`, `STYLE §14`, `BCP 14 §2`, `draft … §2`,
// `Other.md §3`, with any `, §4` / `/§5` / `-6` that continues it. These are not the spec's.
const otherDocument =
  /(?:\bRFC ?\d+|\bBCP ?\d+|\bSTYLE\b|\bdraft\b(?:(?!\bspec\b)[^§\n]){0,80}?|[\w./-]+\.md)\s*§ ?\d+(?:\.\d+)*(?:\s*(?:,|\/|and|or|to|[-–])\s*§? ?\d+(?:\.\d+)*)*/g;
const citation = /§ ?(\d+(?:\.\d+)*)(?:\s*[-–]\s*(\d+(?:\.\d+)*))?/g;
const clauseString = /\bclause: *"([^"]*)"/g;

/**
 * Every `§` citation of the spec in a text: `spec §2.3`, `§1, §7`, `§2/§3`, `§1-5`, and the
 * clauses of conformance checks (`clause: "§2 Status (long poll)"`, whose name is kept).
 * Citations of other documents (`RFC 7240 §2`, `STYLE §14`, `draft … §`) are left out, except
 * that `spec.md §n` is the spec's.
 *
 * @example
 * specCitations("see spec §2.3, not RFC 7240 §2").map((c) => c.number); // ["2.3"]
 */
export function specCitations(text: string): SpecCitation[] {
  const found: SpecCitation[] = [];
  text.split("\n").forEach((raw, index) => {
    const line = raw.replace(otherDocument, (span) =>
      /(?:^|[/\s])spec\.md\s*§/.test(span) ? span : " ".repeat(span.length),
    );
    const named = new Map<number, string>();
    for (const clause of line.matchAll(clauseString)) {
      const start = clause.index + clause[0].indexOf('"') + 1;
      for (const part of clause[1]!.matchAll(/§ ?\d+(?:\.\d+)* ([^,(]+?)(?= \(|,|$)/g)) {
        named.set(start + part.index, part[1]!.trim());
      }
    }
    for (const m of line.matchAll(citation)) {
      const name = named.get(m.index);
      found.push({ number: m[1]!, ...(name ? { name } : {}), line: index + 1, text: raw.slice(m.index, m.index + 40).trim() });
      if (m[2]) found.push({ number: m[2], line: index + 1, text: raw.slice(m.index, m.index + 40).trim() });
    }
  });
  return found;
}

/**
 * Why a citation does not resolve to a heading of the spec, or `undefined` when it does. A named
 * clause must also name that section or one of its subsections (by the start of its title).
 *
 * @example
 * unresolved({ number: "2", name: "Status", line: 1, text: "" }, specHeadings(readSpec())); // undefined
 */
export function unresolved(cited: SpecCitation, headings: SpecHeading[]): string | undefined {
  const heading = headings.find((h) => h.number === cited.number);
  if (!heading) return `no heading §${cited.number}`;
  if (cited.name === undefined) return undefined;
  const name = cited.name.toLowerCase();
  const candidates = headings.filter((h) => h.number === cited.number || h.number.startsWith(`${cited.number}.`));
  return candidates.some((h) => h.title.toLowerCase().startsWith(name))
    ? undefined
    : `no heading under §${cited.number} is titled "${cited.name}"`;
}

/**
 * The anchors a reader can link to in a markdown text: GitHub's slug of every heading (lower
 * case, punctuation dropped, spaces to hyphens) and every `<a id="…">`.
 *
 * @example
 * markdownAnchors("### 2.3.3 Idempotent submit").has("233-idempotent-submit"); // true
 */
export function markdownAnchors(markdown: string): Set<string> {
  const anchors = new Set<string>();
  let fenced = false;
  for (const line of markdown.split("\n")) {
    if (line.startsWith("```")) fenced = !fenced;
    const heading = fenced ? null : /^#{1,6} (.+?)\s*$/.exec(line);
    if (heading) {
      anchors.add(heading[1]!.toLowerCase().replace(/[^\p{L}\p{N}\s_-]/gu, "").replace(/\s/g, "-"));
    }
    for (const id of line.matchAll(/<a id="([^"]+)"><\/a>/g)) anchors.add(id[1]!);
  }
  return anchors;
}
