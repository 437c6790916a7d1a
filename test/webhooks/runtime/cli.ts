// Deno and Bun entry: the probe input is the first argument, the result goes to stdout.
import { runProbe, type ProbeInput } from "./probe.ts";

declare const Deno: { args: string[] } | undefined;
const args = typeof Deno !== "undefined" ? Deno.args : process.argv.slice(2);
console.log(JSON.stringify(await runProbe(JSON.parse(args[0]!) as ProbeInput)));
