import { spawnSync, type SpawnSyncReturns } from "node:child_process";
import { fileURLToPath } from "node:url";

const driver = fileURLToPath(new URL("./run-quickstart.ts", import.meta.url));

/** `unshare -rn` works here: a private network namespace with its own free ports 8080 and 3000. */
function canUnshare(): boolean {
  return spawnSync("unshare", ["-rn", "true"], { stdio: "ignore" }).status === 0;
}

/**
 * Runs every ts snippet of `<repo>/docs/quickstart.md` verbatim (run-quickstart.ts), in a private
 * network namespace when the machine allows one, else on the host's loopback (ports 8080 and
 * 3000 must then be free).
 *
 * @example
 * const run = runQuickstart(repoRoot, { source: true });
 */
export function runQuickstart(repo: string, options: { source: boolean }): SpawnSyncReturns<string> & { isolated: boolean } {
  const node = [process.execPath, "--import", "tsx", driver, repo, ...(options.source ? ["--source"] : [])];
  const isolated = canUnshare();
  const command = isolated ? ["unshare", "-rn", "sh", "-c", 'ip link set lo up && exec "$@"', "sh", ...node] : node;
  const run = spawnSync(command[0]!, command.slice(1), { cwd: repo, encoding: "utf8", timeout: 600_000 });
  return Object.assign(run, { isolated });
}
