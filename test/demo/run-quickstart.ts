// Runs every TypeScript snippet of docs/quickstart.md verbatim, the way a reader would: the
// server from §2 on port 8080, `npx tsx submit.ts` for §3 and §4, the §5 receiver on port 3000
// fed by a real job's webhook, and the msw test with `npx vitest run`.
//
//   node --import tsx test/demo/run-quickstart.ts <repo dir> [--source]
//
// `--source` resolves `async-jobs` to the TypeScript sources (a worktree without dist/); without
// it the snippets resolve `dist/` like a reader's clone after `npm install`. The snippets name
// fixed ports (8080, 3000): quickstart.test.ts runs this in a private network namespace
// (`unshare -rn`) when it can, so a busy port on the machine does not matter.
import { spawn, spawnSync, type ChildProcess } from "node:child_process";
import { mkdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { connect } from "node:net";
import { join } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";

/** One fenced ```ts block of the quickstart, in document order. */
export function extractTypeScriptSnippets(markdown: string): string[] {
  return [...markdown.matchAll(/^```ts\n([\s\S]*?)^```$/gm)].map((m) => m[1]!);
}

/** Names each snippet's file after what it does (the msw one is a vitest test file). */
export function snippetFileName(snippet: string, index: number): string {
  if (snippet.includes("async-jobs/msw")) return `quickstart-${index}.test.ts`;
  if (snippet.includes("createServer(")) return `receiver-${index}.ts`;
  return `snippet-${index}.ts`;
}

function fail(message: string): never {
  process.stderr.write(`quickstart: ${message}\n`);
  process.exit(1);
}

async function waitForPort(port: number, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    const open = await new Promise<boolean>((resolve) => {
      const socket = connect(port, "127.0.0.1", () => resolve(true)).on("error", () => resolve(false));
      setTimeout(() => resolve(false), 1000).unref();
      socket.unref();
    });
    if (open) return;
    await sleep(100);
  }
  throw new Error(`nothing listens on port ${port} after ${timeoutMs} ms`);
}

async function main() {
  const [repo, flag] = process.argv.slice(2);
  if (!repo) fail("usage: run-quickstart.ts <repo dir> [--source]");
  const source = flag === "--source";
  const markdown = readFileSync(join(repo, "docs/quickstart.md"), "utf8");
  const snippets = extractTypeScriptSnippets(markdown);
  if (snippets.length < 4) fail(`expected at least 4 ts snippets in docs/quickstart.md, found ${snippets.length}`);

  // Inside the package directory, so `async-jobs` resolves by self-reference like in a clone.
  const work = join(repo, ".quickstart");
  rmSync(work, { recursive: true, force: true });
  mkdirSync(work, { recursive: true });
  writeFileSync(join(work, "export.csv"), "id,name\n1,alpha\n2,beta\n".repeat(5000));
  const baseEnv: NodeJS.ProcessEnv = { ...process.env, NO_UPDATE_NOTIFIER: "1", ...(source ? { NODE_OPTIONS: "--conditions=async-jobs-source" } : {}) };
  delete baseEnv.VITEST;
  delete baseEnv.NODE_ENV;

  const children: ChildProcess[] = [];
  const startGroup = (args: string[], env: NodeJS.ProcessEnv) => {
    const child = spawn(args[0]!, args.slice(1), { cwd: work, env, detached: true, stdio: ["ignore", "pipe", "pipe"] });
    let out = "";
    child.stdout!.on("data", (d: Buffer) => (out += d));
    child.stderr!.on("data", (d: Buffer) => (out += d));
    children.push(child);
    return { child, output: () => out };
  };
  const stopAll = () => {
    for (const child of children) {
      try {
        if (child.pid) process.kill(-child.pid, "SIGKILL");
      } catch {
        // already gone
      }
    }
  };
  process.on("exit", stopAll);

  try {
    // §2, as written, plus the flag §5 says a private receiver needs.
    const server = startGroup(["npx", "async-jobs-server", "serve", "--port", "8080", "--allow-private-webhooks"], baseEnv);
    const deadline = Date.now() + 90_000;
    while (!/webhook secret of tenant "dev": (\S+)/.test(server.output())) {
      if (server.child.exitCode !== null || Date.now() > deadline) fail(`the server did not start:\n${server.output()}`);
      await sleep(100);
    }
    const token = /dev token: (\S+)/.exec(server.output())?.[1] ?? fail(`no dev token printed:\n${server.output()}`);
    const secret = /webhook secret of tenant "dev": (\S+)/.exec(server.output())![1]!;
    const env = { ...baseEnv, ASYNC_JOBS_TOKEN: token, ASYNC_JOBS_WEBHOOK_SECRET: secret };

    for (const [index, snippet] of snippets.entries()) {
      const file = snippetFileName(snippet, index);
      writeFileSync(join(work, file), snippet);
      const started = performance.now();
      if (file.endsWith(".test.ts")) {
        // A config of its own, so the repository's (with its workspace projects) is not picked up.
        const conditions = source ? `{ resolve: { conditions: ["async-jobs-source"] }, ssr: { resolve: { conditions: ["async-jobs-source"] } } }` : "{}";
        writeFileSync(join(work, "vitest.config.mjs"), `export default ${conditions};\n`);
        const run = spawnSync("npx", ["vitest", "run", "--config", "vitest.config.mjs", file], { cwd: work, env, encoding: "utf8", timeout: 120_000 });
        if (run.status !== 0) fail(`npx vitest run ${file} exited ${run.status}:\n${run.stdout}\n${run.stderr}\n--- snippet:\n${snippet}`);
      } else if (file.startsWith("receiver-")) {
        const receiver = startGroup(["npx", "tsx", file], env);
        await waitForPort(3000, 60_000).catch(() => fail(`npx tsx ${file} did not listen on 3000:\n${receiver.output()}`));
        // A real job with a webhook to the receiver; it prints the verified event.
        const res = await fetch("http://127.0.0.1:8080/v1/jobs", {
          method: "POST",
          headers: { authorization: `Bearer ${token}`, "content-type": "application/json", "idempotency-key": `quickstart-${Date.now()}` },
          body: JSON.stringify({ type: "conformance.echo", input: { value: "hook" }, webhook: { url: "http://127.0.0.1:3000/hooks" } }),
        });
        if (res.status !== 202) fail(`submitting a job with a webhook answered ${res.status}: ${await res.text()}`);
        const { id } = (await res.json()) as { id: string };
        const until = Date.now() + 30_000;
        while (!receiver.output().includes(`job.succeeded ${id}`)) {
          if (receiver.child.exitCode !== null || Date.now() > until) fail(`the receiver never printed "job.succeeded ${id}":\n${receiver.output()}`);
          await sleep(100);
        }
      } else {
        const run = spawnSync("npx", ["tsx", file], { cwd: work, env, encoding: "utf8", timeout: 120_000 });
        if (run.status !== 0) fail(`npx tsx ${file} exited ${run.status}:\n${run.stdout}\n${run.stderr}\n--- snippet:\n${snippet}`);
        if (/hello/.test(snippet) && !run.stdout.includes("hello")) fail(`npx tsx ${file} did not print hello:\n${run.stdout}`);
        if (/uploadFile/.test(snippet) && !/\d+ https?:\/\//.test(run.stdout)) fail(`npx tsx ${file} printed no gzip size and URL:\n${run.stdout}`);
      }
      process.stdout.write(`ok ${file} (${Math.round(performance.now() - started)} ms)\n`);
    }
    process.stdout.write(`quickstart OK: ${snippets.length} snippets\n`);
  } finally {
    stopAll();
    rmSync(work, { recursive: true, force: true });
  }
}

if (process.argv[1] && import.meta.url.endsWith(process.argv[1].split("/").pop()!)) await main();
