// The `async-jobs` executable (bin/async-jobs.js loads it: built from dist/, or the source through tsx).
import { runCli } from "./run-cli.ts";

process.exitCode = await runCli(process.argv.slice(2), {
  stdin: process.stdin,
  stdout: process.stdout,
  stderr: process.stderr,
  env: process.env,
});
