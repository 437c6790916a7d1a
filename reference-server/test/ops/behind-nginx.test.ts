import { execFile, spawn } from "node:child_process";
import { request } from "node:http";
import { chmodSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { connect } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type CliProcess, killAllCli, startCli } from "./support/cli-process.ts";
import { freePort } from "../../../test/helpers/free-port.ts";

// Deliver 2 of issue 20: the SDK through a real nginx that terminates TLS, configured exactly
// as docs/deploy.md says (the block is read from the page), with a throwaway certificate.

const run = promisify(execFile);
const NGINX = "/usr/sbin/nginx";
const TOKEN = "ops-proxy-token";
const repoRoot = fileURLToPath(new URL("../../..", import.meta.url));
const serverDir = join(repoRoot, "reference-server");

let dir: string;
let api: CliProcess;
let nginx: ReturnType<typeof spawn>;
let proxyPort: number;


async function waitForPort(port: number, timeoutMs = 10_000) {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    const open = await new Promise<boolean>((resolve) => {
      const socket = connect(port, "127.0.0.1", () => (socket.end(), resolve(true)));
      socket.on("error", () => resolve(false));
    });
    if (open) return;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`nothing listens on ${port}`);
}

/** The nginx block of docs/deploy.md with this test's ports and certificate. */
function documentedNginxConfig(apiPort: number, port: number, cert: string, key: string): string {
  const doc = readFileSync(join(repoRoot, "docs/deploy.md"), "utf8");
  const block = /```nginx\n([\s\S]*?)```/.exec(doc)?.[1];
  if (!block) throw new Error("docs/deploy.md has no nginx block");
  const swap = (text: string, from: string, to: string) => {
    if (!text.includes(from)) throw new Error(`docs/deploy.md's nginx block lost "${from}"`);
    return text.replace(from, to);
  };
  let config = swap(block, "server 127.0.0.1:8080;", `server 127.0.0.1:${apiPort};`);
  config = swap(config, "listen 443 ssl;", `listen 127.0.0.1:${port} ssl;`);
  config = swap(config, "/etc/ssl/jobs.example.com.crt", cert);
  config = swap(config, "/etc/ssl/jobs.example.com.key", key);
  return swap(config, "server_name jobs.example.com;", "server_name localhost;");
}

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), "async-jobs-nginx-"));
  chmodSync(dir, 0o777); // nginx's workers run as nobody when the test is root
  const cert = join(dir, "cert.pem");
  const key = join(dir, "key.pem");
  await run("openssl", [
    "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1", "-keyout", key, "-out", cert,
    "-subj", "/CN=localhost", "-addext", "subjectAltName=DNS:localhost,IP:127.0.0.1",
  ]);
  proxyPort = await freePort();
  api = await startCli(
    [
      "serve", "--port", "0", "--store", `sqlite:${join(dir, "jobs.db")}`, "--blob-dir", join(dir, "blobs"),
      "--tokens", `${TOKEN}:acme`, "--public-url", `https://localhost:${proxyPort}`, "--trust-proxy", "127.0.0.1",
    ],
    /listening on (\S+)/,
  );
  const apiPort = Number(new URL(api.ready).port);
  const site = documentedNginxConfig(apiPort, proxyPort, cert, key);
  const temp = (name: string) => `${name}_temp_path ${join(dir, `${name}-temp`)};`;
  writeFileSync(
    join(dir, "nginx.conf"),
    `daemon off;\nworker_processes 1;\npid ${join(dir, "nginx.pid")};\nerror_log ${join(dir, "error.log")} warn;\n` +
      `events { worker_connections 256; }\n` +
      `http {\n  access_log off;\n  ${["client_body", "proxy", "fastcgi", "uwsgi", "scgi"].map(temp).join("\n  ")}\n${site}\n}\n`,
  );
  nginx = spawn(NGINX, ["-c", join(dir, "nginx.conf"), "-p", dir], { stdio: ["ignore", "inherit", "inherit"], detached: true });
  await waitForPort(proxyPort);
}, 60_000);

afterAll(() => {
  if (nginx?.pid) {
    try {
      process.kill(-nginx.pid, "SIGKILL");
    } catch {
      // already gone
    }
  }
  killAllCli();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

describe("behind nginx terminating TLS (docs/deploy.md)", () => {
  it("submitAndWait, a 20 MiB upload with checksum and a download work; a proxy's 413 page is unexpected_response", { timeout: 120_000 }, async () => {
    const origin = `https://localhost:${proxyPort}`;
    const { stdout } = await run(
      process.execPath,
      ["--conditions=async-jobs-source", "--import", "tsx", join(serverDir, "test/ops/support/sdk-through-proxy.ts")],
      {
        cwd: serverDir,
        env: { ...process.env, NODE_EXTRA_CA_CERTS: join(dir, "cert.pem"), BASE_URL: origin, TOKEN, WORK_DIR: dir },
        maxBuffer: 1 << 20,
      },
    );
    const seen = JSON.parse(stdout.trim().split("\n").at(-1)!);

    expect(seen.echo).toEqual({ value: "through nginx" });
    // Every URL the server hands out is on the public origin, whatever Host the proxy passed.
    expect(seen.partUrls).toHaveLength(1);
    expect(seen.partUrls[0].startsWith(`${origin}/v1/uploads/`)).toBe(true);
    expect(seen.upload).toEqual({ status: "completed", sha256: seen.localSha256, size: 20 * 1024 * 1024 });
    expect(seen.checksum).toMatchObject({ sha256: seen.localSha256, size: 20 * 1024 * 1024 });
    expect(seen.downloadUrl.startsWith(`${origin}/v1/downloads/`)).toBe(true);
    expect(seen.downloadStatus).toBe(200);
    expect(seen.downloadedSha256).toBe(seen.localSha256);
    expect(seen.tooLarge).toMatchObject({ name: "ApiError", status: 413, code: "unexpected_response" });
    expect(seen.tooLarge.detail).toContain(`HTTP 413 from ${origin}`);
    expect(seen.tooLarge.detail).toContain("413 Request Entity Too Large");
    expect(seen.tooLarge.detail).not.toContain("<");
  });

  it("builds signed URLs from --public-url, never from the request's Host or an untrusted X-Forwarded-*", async () => {
    // Straight to the API (not from the trusted proxy's hop): a forged Host and forwarding headers.
    const body = JSON.stringify({ filename: "a.bin", content_type: "application/octet-stream", size: 10 });
    const answer = await new Promise<{ status: number; text: string }>((resolve, reject) => {
      const url = new URL(api.ready);
      const req = request(
        {
          host: url.hostname, port: url.port, method: "POST", path: "/v1/uploads",
          headers: {
            host: "evil.example", "x-forwarded-host": "evil.example", "x-forwarded-proto": "http",
            authorization: `Bearer ${TOKEN}`, "content-type": "application/json", "content-length": Buffer.byteLength(body),
          },
        },
        (res) => {
          let text = "";
          res.on("data", (chunk) => (text += chunk));
          res.on("end", () => resolve({ status: res.statusCode!, text }));
        },
      );
      req.on("error", reject);
      req.end(body);
    });
    expect(answer.status).toBe(201);
    const url = (JSON.parse(answer.text) as { parts: { url: string }[] }).parts[0]!.url;
    expect(url.startsWith(`https://localhost:${proxyPort}/v1/uploads/`)).toBe(true);
  });
});
