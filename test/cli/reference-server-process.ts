import { spawn, type ChildProcess } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";

/** The repository root. */
export const repoRoot = fileURLToPath(new URL("../../", import.meta.url));

/** A reference server running as a child process on a free loopback port, with its data in a temp dir. */
export interface ReferenceServerProcess {
  baseUrl: string;
  token: string;
  webhookSecret: string;
  stop(): Promise<void>;
}

/**
 * Starts `async-jobs-server serve` (from its TypeScript sources) on port 0 with SQLite in a
 * temp dir, and resolves once it prints `listening on http://HOST:PORT`.
 *
 * @example
 * const server = await startReferenceServer(["--min-part-size", "1048576"]);
 */
export async function startReferenceServer(extraArgs: string[] = []): Promise<ReferenceServerProcess> {
  const dir = mkdtempSync(join(tmpdir(), "async-jobs-server-"));
  const token = "test-token";
  const webhookSecret = `whsec_${Buffer.from("a-test-secret-of-at-least-24-bytes").toString("base64")}`;
  const child: ChildProcess = spawn(
    process.execPath,
    [
      "--conditions=async-jobs-source",
      "--import",
      "tsx",
      "reference-server/src/cli.ts",
      "serve",
      "--port",
      "0",
      "--store",
      `sqlite:${join(dir, "jobs.db")}`,
      "--blob-dir",
      join(dir, "blobs"),
      "--tokens",
      `${token}:tenant-a`,
      "--webhook-secret",
      webhookSecret,
      "--allow-private-webhooks",
      "--webhook-schedule-ms",
      "0,50,200",
      ...extraArgs,
    ],
    { cwd: repoRoot, stdio: ["ignore", "pipe", "pipe"], env: { ...process.env, NODE_OPTIONS: "" } },
  );
  let output = "";
  const baseUrl = await new Promise<string>((resolve, reject) => {
    const onData = (chunk: Buffer) => {
      output += chunk.toString();
      const m = /listening on (http:\/\/\S+)/.exec(output);
      if (m) resolve(m[1]!);
    };
    child.stdout!.on("data", onData);
    child.stderr!.on("data", (chunk: Buffer) => (output += chunk.toString()));
    child.once("exit", (code) => reject(new Error(`reference server exited with ${code}:\n${output}`)));
    setTimeout(() => reject(new Error(`reference server did not start in 30 s:\n${output}`)), 30_000).unref();
  });
  return {
    baseUrl,
    token,
    webhookSecret,
    async stop() {
      if (child.exitCode === null) {
        const exited = new Promise((resolve) => child.once("exit", resolve));
        child.kill("SIGKILL");
        await exited;
      }
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
