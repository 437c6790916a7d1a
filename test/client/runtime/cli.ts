// Entry for Node, Bun and Deno: the input is the first argument (JSON); prints one JSON line.
import { runSmoke, type SmokeInput } from "./smoke.ts";

declare const Deno: { args: string[] } | undefined;
declare const process: { argv: string[]; exitCode?: number };
const args = typeof Deno !== "undefined" ? Deno.args : process.argv.slice(2);
runSmoke(JSON.parse(args[0]!) as SmokeInput).then(
  (result) => console.log(JSON.stringify({ ok: true, ...result })),
  (error: unknown) => console.log(JSON.stringify({ ok: false, error: String((error as Error)?.stack ?? error) })),
);
