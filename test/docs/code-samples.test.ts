import { existsSync, readdirSync, readFileSync, statSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import ts from "typescript";
import { describe, expect, it } from "vitest";

// Every TypeScript sample in the docs is compiled (issue #8): each ```ts block of docs/*.md and
// README.md is, in this order of precedence,
// - opted out by a visible `<!-- not-compiled: reason -->` on the line before it (blank lines
//   skipped), listed in this test's output;
// - a `<!-- sample: file.ts -->` block, which must equal the `// #region doc` of a file named so
//   under some test/**/docs-samples/ (its owner's test keeps them equal); that file is compiled;
// - otherwise compiled on its own, as a module, against the SDK's sources (the
//   async-jobs-source condition) with Node types: a block must carry its own imports.
// scripts/demo.ts is compiled in the same program, since no tsconfig covers scripts/.
const root = fileURLToPath(new URL("../../", import.meta.url));

interface Block {
  doc: string;
  line: number;
  code: string;
  kind: "standalone" | "sample" | "opted-out";
  /** The compiled file (virtual for standalone blocks), or the opt-out reason. */
  target: string;
}

function findSampleFiles(dir: string, out: string[] = []): string[] {
  for (const name of readdirSync(dir)) {
    if (name === "node_modules") continue;
    const path = join(dir, name);
    if (statSync(path).isDirectory()) findSampleFiles(path, out);
    else if (dir.endsWith("docs-samples")) out.push(path);
  }
  return out;
}
const sampleFiles = findSampleFiles(join(root, "test"));

function region(path: string): string | undefined {
  const text = readFileSync(path, "utf8");
  const start = text.indexOf("// #region doc\n");
  const end = text.indexOf("// #endregion");
  return start < 0 || end < start ? undefined : text.slice(start + "// #region doc\n".length, end).trimEnd();
}

function extractBlocks(doc: string): Block[] {
  const lines = readFileSync(join(root, doc), "utf8").split("\n");
  const blocks: Block[] = [];
  for (let i = 0; i < lines.length; i++) {
    if (!/^```(ts|typescript)\s*$/.test(lines[i]!)) continue;
    const end = lines.findIndex((l, j) => j > i && /^```\s*$/.test(l));
    const code = lines.slice(i + 1, end).join("\n");
    let before = i - 1;
    while (before >= 0 && lines[before]!.trim() === "") before--;
    const marker = lines[before]?.trim() ?? "";
    const optOut = /^<!-- not-compiled: (.+\S) -->$/.exec(marker);
    const sample = /^<!-- sample: (\S+) -->$/.exec(marker);
    if (optOut) {
      blocks.push({ doc, line: i + 1, code, kind: "opted-out", target: optOut[1]! });
    } else if (sample) {
      const match = sampleFiles.find((f) => f.endsWith(`/${sample[1]}`) && region(f) === code.trimEnd());
      blocks.push({ doc, line: i + 1, code, kind: "sample", target: match ?? `missing: no docs-samples/${sample[1]} whose #region doc equals the block` });
    } else {
      blocks.push({ doc, line: i + 1, code, kind: "standalone", target: join(root, "docs", ".samples", `${doc.replace(/[/.]/g, "_")}_${i + 1}.ts`) });
    }
    i = end;
  }
  return blocks;
}

const docs = [
  ...readdirSync(join(root, "docs"))
    .filter((f) => f.endsWith(".md"))
    .sort()
    .map((f) => `docs/${f}`),
  "README.md",
];
const blocks = docs.flatMap(extractBlocks);
const demo = join(root, "scripts", "demo.ts");

/** Compiles every block (and the demo) in one program; returns error messages per file. */
function compileAll(): Map<string, string[]> {
  const config = ts.getParsedCommandLineOfConfigFile(join(root, "tsconfig.node.json"), {}, {
    ...ts.sys,
    onUnRecoverableConfigFileDiagnostic: (d) => {
      throw new Error(ts.flattenDiagnosticMessageText(d.messageText, "\n"));
    },
  })!;
  const options: ts.CompilerOptions = { ...config.options, noEmit: true };
  // `export {}` makes each block a module: top-level await works and blocks do not share names.
  const virtual = new Map(blocks.filter((b) => b.kind === "standalone").map((b) => [b.target, `${b.code}\nexport {};\n`]));
  const host = ts.createCompilerHost(options);
  const { getSourceFile, fileExists, readFile } = host;
  host.fileExists = (f) => virtual.has(f) || fileExists.call(host, f);
  host.readFile = (f) => virtual.get(f) ?? readFile.call(host, f);
  host.getSourceFile = (f, language, ...rest) => {
    const text = virtual.get(f);
    return text === undefined ? getSourceFile.call(host, f, language, ...rest) : ts.createSourceFile(f, text, language, true);
  };
  const samples = blocks.filter((b) => b.kind === "sample" && existsSync(b.target)).map((b) => b.target);
  const checked = new Set([...virtual.keys(), ...samples, demo]);
  const program = ts.createProgram({ rootNames: [...checked], options, host });
  const errors = new Map<string, string[]>([...checked].map((f) => [f, []]));
  for (const d of ts.getPreEmitDiagnostics(program)) {
    const file = d.file?.fileName;
    if (!file || !errors.has(file)) continue;
    const { line } = d.file!.getLineAndCharacterOfPosition(d.start ?? 0);
    errors.get(file)!.push(`line ${line + 1}: ${ts.flattenDiagnosticMessageText(d.messageText, " ")}`);
  }
  return errors;
}

describe("docs code samples are compiled", () => {
  let errors: Map<string, string[]>;
  const compiled = () => (errors ??= compileAll());

  it("finds the samples and reports each doc's status", () => {
    const rows = docs.map((doc) => {
      const mine = blocks.filter((b) => b.doc === doc);
      const count = (kind: Block["kind"]) => mine.filter((b) => b.kind === kind).length;
      return `${doc.padEnd(22)} ${String(mine.length).padStart(3)} ts blocks: ${count("standalone")} standalone, ${count("sample")} from docs-samples, ${count("opted-out")} opted out`;
    });
    const optedOut = blocks.filter((b) => b.kind === "opted-out").map((b) => `  ${b.doc}:${b.line} not compiled: ${b.target}`);
    console.info(["docs code samples:", ...rows, ...optedOut].join("\n"));
    expect(blocks.length).toBeGreaterThan(10);
  });

  it.each(docs)("%s: every ts block compiles (or is opted out with a reason)", (doc) => {
    const failures = blocks
      .filter((b) => b.doc === doc && b.kind !== "opted-out")
      .flatMap((b) => {
        if (b.target.startsWith("missing:")) return [`${doc}:${b.line}: ${b.target}`];
        return compiled().get(b.target)!.map((e) => `${doc}:${b.line} (${b.kind}${b.kind === "sample" ? ` ${b.target.slice(root.length)}` : ""}) ${e}`);
      });
    // To fix a failure: give the block its imports and declarations (`declare const token: string;`),
    // or point it at a compiled file with <!-- sample: f.ts -->, or opt out with <!-- not-compiled: why -->.
    expect(failures).toEqual([]);
  }, 180_000);

  it("scripts/demo.ts compiles (no tsconfig covers scripts/)", () => {
    expect(compiled().get(demo)).toEqual([]);
  }, 180_000);
});
