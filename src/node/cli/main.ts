// The `async-jobs` executable (bin/async-jobs.js loads it: the sources in a clone, dist/ when installed).
import { runCli } from "./run-cli.ts";

process.exitCode = await runCli(
  process.argv.slice(2),
  { stdin: process.stdin, stdout: process.stdout, stderr: process.stderr, env: process.env },
  { signals: true },
);
