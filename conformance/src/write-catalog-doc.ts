// Regenerates the catalog block of docs/conformance.md: `npm run catalog -w conformance`.
import { readFileSync, writeFileSync } from "node:fs";
import { spliceCatalog } from "./catalog-markdown.ts";
import { catalog } from "./checks/index.ts";

const path = new URL("../../docs/conformance.md", import.meta.url);
writeFileSync(path, spliceCatalog(readFileSync(path, "utf8"), catalog));
process.stdout.write(`wrote ${catalog.length} checks to docs/conformance.md\n`);
