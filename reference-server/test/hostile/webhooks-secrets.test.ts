import { type ChildProcess, spawn } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { createServer, type IncomingHttpHeaders, type Server } from "node:http";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { Webhook } from "standardwebhooks";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ConfigError, loadConfig } from "../../src/config.ts";
import { eventually } from "../support/test-server.ts";

const REPO = fileURLToPath(new URL("../../../", import.meta.url));
const TOKENS = "tok_a:acme,tok_b:globex";

/** One CLI process in its own process group; `output()` is what it printed on stdout. */
function startCli(args: string[]) {
  const child: ChildProcess = spawn(
    process.execPath,
    ["--conditions=async-jobs-source", "--import", "tsx", "reference-server/src/cli.ts", ...args],
    { cwd: REPO, stdio: ["ignore", "pipe", "pipe"], detached: true },
  );
  let stdout = "";
  let stderr = "";
  child.stdout!.on("data", (c: Buffer) => (stdout += c.toString()));
  child.stderr!.on("data", (c: Buffer) => (stderr += c.toString()));
  const exited = new Promise<number | null>((r) => child.once("exit", r));
  return {
    output: () => stdout,
    async waitFor(pattern: RegExp): Promise<RegExpExecArray> {
      const deadline = Date.now() + 30_000;
      for (;;) {
        const match = pattern.exec(stdout);
        if (match) return match;
        if (Date.now() > deadline || child.exitCode !== null) throw new Error(`no ${pattern} in: ${stdout}\n${stderr}`);
        await new Promise((r) => setTimeout(r, 50));
      }
    },
    exited,
    async stop() {
      if (child.exitCode === null && child.signalCode === null) {
        process.kill(-child.pid!, "SIGTERM");
        await exited;
      }
    },
  };
}

interface Received {
  path: string;
  headers: IncomingHttpHeaders;
  body: string;
}
const received: Received[] = [];
let receiver: Server;
let receiverUrl = "";
let dir: string;
beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), "aj-secrets-"));
  receiver = createServer((req, res) => {
    let body = "";
    req.on("data", (c) => (body += c));
    req.on("end", () => {
      received.push({ path: req.url!, headers: req.headers, body });
      res.writeHead(204).end();
    });
  });
  await new Promise<void>((r) => receiver.listen(0, "127.0.0.1", r));
  receiverUrl = `http://127.0.0.1:${(receiver.address() as { port: number }).port}`;
});
afterAll(async () => {
  receiver.closeAllConnections();
  await new Promise((r) => receiver.close(r));
  rmSync(dir, { recursive: true, force: true });
});

const storeArgs = (name: string) => ["--store", `sqlite:${join(dir, `${name}.db`)}`, "--blob-dir", join(dir, `${name}-blobs`)];
const common = ["--tokens", TOKENS, "--allow-private-webhooks", "--webhook-schedule-ms", "0,100,200"];

async function submit(base: string, token: string, path: string) {
  const response = await fetch(`${base}/v1/jobs`, {
    method: "POST",
    headers: { authorization: `Bearer ${token}`, "content-type": "application/json" },
    body: JSON.stringify({ type: "conformance.echo", input: {}, webhook: { url: `${receiverUrl}${path}` } }),
  });
  expect(response.status).toBe(202);
}
const verifies = (r: Received, secret: string) => {
  try {
    new Webhook(secret).verify(r.body, r.headers as Record<string, string>);
    return true;
  } catch {
    return false;
  }
};

describe("per-tenant webhook secrets (hostile review finding 3)", () => {
  it("signs each tenant's events with its own secret, printed for that tenant only", async () => {
    const server = startCli(["serve", "--port", "0", ...storeArgs("two"), ...common]);
    try {
      const base = (await server.waitFor(/listening on (\S+)/))[1]!;
      const acme = (await server.waitFor(/webhook secret of tenant "acme": (whsec_\S+)/))[1]!;
      const globex = (await server.waitFor(/webhook secret of tenant "globex": (whsec_\S+)/))[1]!;
      expect(acme).not.toBe(globex);
      await submit(base, "tok_a", "/two-acme");
      await submit(base, "tok_b", "/two-globex");
      const got = await eventually(async () => received.filter((r) => r.path.startsWith("/two-")), (l) => l.length === 2);
      const a = got.find((r) => r.path === "/two-acme")!;
      const g = got.find((r) => r.path === "/two-globex")!;
      expect([verifies(a, acme), verifies(a, globex)]).toEqual([true, false]);
      expect([verifies(g, globex), verifies(g, acme)]).toEqual([true, false]);
    } finally {
      await server.stop();
    }
  });

  it("a separate worker process signs with the same secret the API process gave out", async () => {
    const api = startCli(["serve", "--no-worker", "--port", "0", ...storeArgs("split"), ...common]);
    let secret: string;
    try {
      const base = (await api.waitFor(/listening on (\S+)/))[1]!;
      secret = (await api.waitFor(/webhook secret of tenant "acme": (whsec_\S+)/))[1]!;
      // Queued only: no worker in the API process, so the worker process runs and delivers it.
      await submit(base, "tok_a", "/split");
    } finally {
      await api.stop();
    }
    const worker = startCli(["worker", ...storeArgs("split"), ...common]);
    try {
      const [event] = await eventually(async () => received.filter((r) => r.path === "/split"), (l) => l.length >= 1, 20_000);
      expect(verifies(event!, secret)).toBe(true);
    } finally {
      await worker.stop();
    }
    // The operator's way to hand a secret out later gives the same one.
    const cli = startCli(["webhook-secret", "acme", ...storeArgs("split"), ...common]);
    await cli.exited;
    expect(cli.output().trim()).toBe(secret);
  });

  it("refuses one secret shared by several tenants unless told to share", () => {
    const secret = `whsec_${Buffer.alloc(32, 7).toString("base64")}`;
    expect(() => loadConfig(["serve", "--tokens", TOKENS, "--webhook-secret", secret])).toThrow(ConfigError);
    expect(loadConfig(["serve", "--tokens", TOKENS, "--webhook-secret", secret, "--shared-webhook-secret"]).webhookSecrets).toEqual([secret]);
    expect(loadConfig(["serve", "--tokens", "tok_a:acme", "--webhook-secret", secret]).webhookSecrets).toEqual([secret]);
    expect(loadConfig(["serve", "--tokens", TOKENS, "--webhook-secret", `${secret},globex:${secret}`]).webhookSecrets).toEqual([secret]);
    // A worker is told no tenants: one untenanted secret would sign for all of them.
    expect(() => loadConfig(["worker", "--webhook-secret", secret])).toThrow(ConfigError);
    expect(loadConfig(["worker", "--webhook-secret", secret, "--shared-webhook-secret"]).webhookSecrets).toEqual([secret]);
    expect(loadConfig(["serve", "--webhook-secret", secret]).webhookSecrets).toEqual([secret]); // the dev tenant alone
  });
});
