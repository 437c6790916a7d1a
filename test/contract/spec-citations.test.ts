import { execFileSync } from "node:child_process";
import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { parse } from "yaml";
import { markdownAnchors, problemRegistry, readSpec, repoRoot, specCitations, specHeadings, unresolved } from "./spec-document.ts";

// Code, tests, docs and conformance checks cite the spec's rules by number ("spec §2.3",
// clause "§2 Status"). A citation that names no heading of docs/spec.md sends a reader nowhere,
// so every one in every tracked text file is checked here.
const S = "\u00a7"; // written as an escape so that this file's own examples are not scanned
const headings = specHeadings(readSpec());

// Lock files and generated code are not written by people and cite nothing.
const skipped = [/(^|\/)package-lock\.json$/, /\.lock$/, /^src\/generated\//, /^docs\/api\.html$/, /\.(png|jpe?g|gif|ico|woff2?|gz|zip)$/];

function trackedTextFiles(): Array<{ path: string; text: string }> {
  const paths = execFileSync("git", ["ls-files", "-z"], { cwd: repoRoot, encoding: "utf8" }).split("\0").filter(Boolean);
  return paths
    .filter((path) => !skipped.some((pattern) => pattern.test(path)))
    .map((path) => {
      try {
        return { path, text: readFileSync(`${repoRoot}${path}`, "utf8") };
      } catch {
        return { path, text: "" }; // deleted in the work tree but still in the index
      }
    })
    .filter(({ text }) => !text.includes("\0"));
}

describe("the citation scanner", () => {
  it("finds the spec's citations in every form the repository uses", () => {
    const numbers = (text: string) => specCitations(text).map((c) => c.number);
    expect(numbers(`// Full jitter spreads retries (spec ${S}6).`)).toEqual(["6"]);
    expect(numbers(`cite spec ${S}2.3.1 here`)).toEqual(["2.3.1"]);
    expect(numbers(`(spec ${S}1, ${S}7)`)).toEqual(["1", "7"]);
    expect(numbers(`the spec ${S}2/${S}3 promise`)).toEqual(["2", "3"]);
    expect(numbers(`docs/spec.md ${S}1-5`)).toEqual(["1", "5"]);
    expect(numbers(`[${S}7](#6-problem-codes)`)).toEqual(["7"]);
  });

  it("leaves out citations of other documents", () => {
    const numbers = (text: string) => specCitations(text).map((c) => c.number);
    expect(numbers(`ignored (RFC 7240 ${S}2), RFC 9457 ${S}3.1.1 and RFC 9110 ${S}13.1.2`)).toEqual([]);
    expect(numbers(`a data block (STYLE ${S}14); BCP 14 ${S}2; notes.md ${S}3`)).toEqual([]);
    expect(numbers(`the IETF draft "The Idempotency-Key HTTP Header Field" ${S}2.7`)).toEqual([]);
    expect(numbers(`the draft says so, and spec ${S}2.3.3 settles it`)).toEqual(["2.3.3"]);
    expect(numbers(`RFC 7240 ${S}4.3 defines wait; spec ${S}2.4.1 extends it`)).toEqual(["2.4.1"]);
  });

  it("keeps the name of a conformance clause and checks it against the headings", () => {
    const cited = specCitations(`    clause: "${S}2 Status (long poll, a MAY), ${S}1 Errors",`);
    expect(cited.map((c) => [c.number, c.name])).toEqual([["2", "Status"], ["1", "Errors"]]);
    expect(cited.map((c) => unresolved(c, headings))).toEqual([undefined, undefined]);
    const [wrongName] = specCitations(`clause: "${S}2 Webhooks"`);
    expect(unresolved(wrongName!, headings)).toMatch(/titled "Webhooks"/);
    const [missing] = specCitations(`see spec ${S}42.1`);
    expect(unresolved(missing!, headings)).toBe(`no heading ${S}42.1`);
  });
});

describe("docs/spec.md", () => {
  it("keeps its top-level numbers, which the code cites", () => {
    const top = headings.filter((h) => !h.number.includes(".")).map((h) => `${h.number} ${h.title}`);
    expect(top).toEqual([
      "1 Conventions",
      "2 Jobs",
      "3 Webhooks",
      "4 Uploads",
      "5 Health and discovery",
      "6 What a client does",
      "7 Problem codes",
      "8 Extensions",
      "9 Change log",
    ]);
    const numbers = headings.map((h) => h.number);
    expect(new Set(numbers).size, "a section number is used twice").toBe(numbers.length);
  });

  it("every spec citation in every tracked file resolves to one of its headings", () => {
    const files = trackedTextFiles();
    expect(files.length).toBeGreaterThan(100);
    const offenders: string[] = [];
    let count = 0;
    for (const { path, text } of files) {
      for (const cited of specCitations(text)) {
        count++;
        const why = unresolved(cited, headings);
        if (why) offenders.push(`${path}:${cited.line}: "${cited.text}": ${why}`);
      }
    }
    expect(offenders, offenders.join("\n")).toEqual([]);
    expect(count, "the scan found the repository's citations").toBeGreaterThan(300);
  });

  it("every link into docs/spec.md from a markdown file names one of its anchors", () => {
    const anchors = markdownAnchors(readSpec());
    expect(anchors).toContain("233-idempotent-submit");
    const broken: string[] = [];
    for (const { path, text } of trackedTextFiles().filter((f) => f.path.endsWith(".md"))) {
      const self = path === "docs/spec.md";
      for (const link of text.matchAll(self ? /\]\(#([^)\s]+)\)/g : /\]\((?:[\w./]*\/)?spec\.md#([^)\s]+)\)/g)) {
        if (!anchors.has(link[1]!)) broken.push(`${path}: #${link[1]}`);
      }
    }
    expect(broken, broken.join("\n")).toEqual([]);
  });

  it("every problem code of openapi.yaml is in spec §7 and has a heading in docs/protocol.md", () => {
    const openapi = parse(readFileSync(`${repoRoot}openapi.yaml`, "utf8"));
    const enumCodes: string[] = openapi.components.schemas.ProblemCode.enum;
    const registry = problemRegistry(readSpec());
    const protocol = readFileSync(`${repoRoot}docs/protocol.md`, "utf8");
    expect(registry.map((r) => r.code)).toEqual(enumCodes);
    for (const row of registry) {
      expect(row.type, `${row.code}: type and code are one to one (spec ${S}1.4)`).toBe(`https://async-jobs.dev/problems/${row.code}`);
      const section = protocol.split(new RegExp(`^#{2,4} \`${row.code}\`\\s*$`, "m"))[1];
      expect(section, `docs/protocol.md lacks a heading for ${row.code}`).toBeDefined();
      const explained = /\*\*Status:\*\* `(\d{3})`/.exec(section!.split(/^#{2,4} /m)[0]!);
      if (explained) expect(Number(explained[1]), `${row.code}: docs/protocol.md gives another status`).toBe(row.status);
    }
  });
});
