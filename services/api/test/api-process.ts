import { type ChildProcess, spawn, spawnSync } from "node:child_process";
import { join } from "node:path";
import { freePort, REPO, waitFor } from "./helpers";

export type ApiProcess = ChildProcess & { base: string; output: () => string };

/**
 * The real API process (src/server.ts), as deployed, on a port of its own; resolves once healthy
 * (at once with `healthy: false`).
 */
export async function startApiProcess(
  env: Record<string, string>,
  { healthy = true }: { healthy?: boolean } = {},
): Promise<ApiProcess> {
  const port = await freePort();
  const child = spawn(process.execPath, ["--import", "tsx", join(REPO, "services/api/src/server.ts")], {
    cwd: REPO,
    env: { ...process.env, LOG_LEVEL: "info", HOST: "127.0.0.1", PORT: String(port), ...env },
    stdio: ["ignore", "pipe", "pipe"],
  });
  let output = "";
  child.stdout?.on("data", (d) => (output += d));
  child.stderr?.on("data", (d) => (output += d));
  const api = Object.assign(child, { base: `http://127.0.0.1:${port}`, output: () => output });
  if (!healthy) return api;
  await waitFor(
    async () => {
      if (child.exitCode !== null) throw new Error(`the API exited: ${output}`);
      const res = await fetch(`${api.base}/health`).catch(() => undefined);
      return res?.ok ? true : undefined;
    },
    60_000,
    "the API process to answer /health",
  );
  return api;
}

/**
 * The requests an API process has logged receiving so far (pino's "incoming request" lines; a line
 * still being written is left out), in order.
 */
export function loggedRequests(p: ApiProcess): { pid: number; method: string; url: string }[] {
  const out: { pid: number; method: string; url: string }[] = [];
  for (const line of p.output().split("\n")) {
    if (!line.includes('"msg":"incoming request"')) continue;
    try {
      const e = JSON.parse(line) as { pid: number; req: { method: string; url: string } };
      out.push({ pid: e.pid, method: e.req.method, url: e.req.url });
    } catch {
      // cut off: not all of it has arrived
    }
  }
  return out;
}

export const exitOf = (child: ChildProcess) =>
  new Promise<number | null>((resolve) =>
    child.exitCode !== null ? resolve(child.exitCode) : child.once("exit", (code) => resolve(code)),
  );

/**
 * A service's entry run to its exit, for one that refuses to start: its exit status and stderr.
 * PORT 0 and a scratch STORAGE_DIR unless `env` says otherwise.
 */
export function runUntilExit(entry: string, env: Record<string, string>, timeout = 30_000) {
  const r = spawnSync(process.execPath, ["--import", "tsx", join(REPO, entry)], {
    cwd: REPO,
    env: { ...process.env, PORT: "0", STORAGE_DIR: "/tmp/mmiohub-startup-test", ...env },
    encoding: "utf8",
    timeout,
  });
  return { status: r.status, stderr: r.stderr };
}
