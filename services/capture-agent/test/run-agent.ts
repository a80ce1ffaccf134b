import { type ChildProcess, spawn } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { buildSync } from "esbuild";
import { afterAll } from "vitest";

const cli = join(dirname(fileURLToPath(import.meta.url)), "..", "src", "cli.ts");
let bundle: string | undefined;
let bundleDir: string | undefined;
// Registered on the importing test file's root suite.
afterAll(() => {
  if (bundleDir) rmSync(bundleDir, { recursive: true, force: true });
});

/**
 * The CLI bundled the way the single executable bundles it (esbuild, one CommonJS file), built once
 * per test file: starting `node bundle.cjs` is seconds faster than going through tsx each time.
 */
export function agentBundle(): string {
  if (bundle === undefined) {
    const dir = mkdtempSync(join(tmpdir(), "mmiohub-agent-bundle-"));
    bundleDir = dir;
    const out = join(dir, "mmiohub-agent.cjs");
    buildSync({
      entryPoints: [cli],
      bundle: true,
      platform: "node",
      format: "cjs",
      target: "node20",
      outfile: out,
      logLevel: "error",
    });
    bundle = out;
  }
  return bundle;
}

export interface AgentRun {
  child: ChildProcess;
  output: () => string;
  exit: Promise<{ code: number | null; signal: NodeJS.Signals | null; stdout: string; stderr: string }>;
}

/** Runs the real CLI as its own process (signals, exit hooks and stdio are part of what is tested). */
export function startAgent(
  args: string[],
  env: Record<string, string>,
  cwd?: string,
  /** Its own process group, so a test can signal the group as a terminal's Ctrl-C does. */
  group = false,
): AgentRun {
  const child = spawn(process.execPath, [agentBundle(), ...args], {
    cwd,
    detached: group,
    env: { ...process.env, ...env },
    stdio: ["ignore", "pipe", "pipe"],
  });
  let stdout = "";
  let stderr = "";
  child.stdout?.setEncoding("utf8").on("data", (text: string) => {
    stdout += text;
  });
  child.stderr?.setEncoding("utf8").on("data", (text: string) => {
    stderr += text;
  });
  const exit = new Promise<{
    code: number | null;
    signal: NodeJS.Signals | null;
    stdout: string;
    stderr: string;
  }>((resolve) => {
    child.on("exit", (code, signal) => {
      // Let the pipes drain before handing the output over.
      setImmediate(() => resolve({ code, signal, stdout, stderr }));
    });
  });
  return { child, output: () => stdout + stderr, exit };
}

export async function runAgent(args: string[], env: Record<string, string>, cwd?: string) {
  return startAgent(args, env, cwd).exit;
}

export async function waitFor(predicate: () => boolean, what: string, timeoutMs = 15_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!predicate()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}
