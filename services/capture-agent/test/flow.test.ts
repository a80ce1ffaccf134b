import { type ChildProcess, execFileSync, spawn } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { freshDatabase } from "@mmiohub/db";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createFakeSystem, type FakeSystem } from "./fake/fake-system";
import { runAgent } from "./run-agent";

// The whole flow: a fake tracing directory with its fake kernel, and the real API and worker
// (services/api/src/server.ts and services/worker/src/main.ts started as processes on the test
// database and Redis). `submit` records, collects, packs and uploads; the submission must end done.
const REPO = join(__dirname, "..", "..", "..");
let system: FakeSystem;
let storage: string;
let api: ChildProcess;
let worker: ChildProcess;
let server: string;
let logs = "";
let database: Awaited<ReturnType<typeof freshDatabase>> | undefined;

async function freePort(): Promise<number> {
  const probe = createServer();
  await new Promise<void>((resolve) => probe.listen(0, "127.0.0.1", resolve));
  const port = (probe.address() as { port: number }).port;
  await new Promise((resolve) => probe.close(resolve));
  return port;
}

function start(entry: string, env: Record<string, string>): ChildProcess {
  const child = spawn(process.execPath, ["--import", "tsx", join(REPO, entry)], {
    cwd: REPO,
    env: { ...process.env, LOG_LEVEL: "warn", ...env },
    stdio: ["ignore", "pipe", "pipe"],
  });
  child.stdout?.on("data", (data) => (logs += data));
  child.stderr?.on("data", (data) => (logs += data));
  return child;
}

async function until<T>(probe: () => Promise<T | undefined>, what: string, timeoutMs = 60_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe().catch(() => undefined);
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}; logs: ${logs.slice(-3000)}`);
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
}

beforeAll(async () => {
  system = createFakeSystem({
    cpus: 2,
    gpus: [{ slot: "0000:01:00.0", vendor: "10de", device: "0fc6" }],
    connectors: [{ name: "card0-DVI-I-1", status: "connected", modes: ["1920x1200", "1280x1024"] }],
  });
  await system.startKernel();
  storage = mkdtempSync(join(tmpdir(), "mmiohub-agent-flow-"));
  // A database of its own: the real worker sweeps every unfinished submission of its database at
  // start-up, and would take other test files' uploads on the shared one.
  database = await freshDatabase(process.env.DATABASE_URL!, `agentflow${process.pid}`);
  const url = database.url;
  const port = await freePort();
  server = `http://127.0.0.1:${port}`;
  const env = {
    DATABASE_URL: url,
    REDIS_URL: process.env.REDIS_URL ?? "redis://127.0.0.1:6379",
    STORAGE_DIR: storage,
    QUEUE_PREFIX: `agent-flow-${process.pid}`,
  };
  api = start("services/api/src/server.ts", { ...env, PORT: String(port), HOST: "127.0.0.1" });
  worker = start("services/worker/src/main.ts", env);
  await until(async () => ((await fetch(`${server}/health`)).status === 200 ? true : undefined), "the API");
}, 120_000);

afterAll(async () => {
  for (const child of [api, worker]) {
    if (child && child.exitCode === null) {
      const exited = new Promise((resolve) => child.once("exit", resolve));
      child.kill("SIGTERM");
      await exited;
    }
  }
  system?.stop();
  rmSync(storage, { recursive: true, force: true });
  await database?.drop();
});

describe("submit against the real API", () => {
  it("records, describes, packs and uploads (tus); the submission ends done with card, text and metadata", async () => {
    const out = join(system.root, "rec");
    const queueDir = join(system.root, "queue");
    const result = await runAgent(
      [
        "submit",
        "--out",
        out,
        "--buffer-kb",
        "8192",
        "--run",
        system.driverCommand(2000),
        "--description",
        "Loaded the driver, then nothing else. GTX 650.",
        "--yes",
        "--server",
        server,
        "--queue-dir",
        queueDir,
      ],
      system.env,
    );
    expect(result.code, result.stdout + result.stderr).toBe(0);
    const link = /submission (\S+)\n\s+(\S+)/.exec(result.stdout);
    expect(link).not.toBeNull();
    const [, id, url] = link!;
    expect(url).toContain(id);
    expect(system.currentTracer()).toBe("nop");

    // What was sent: an ordinary .tar.xz with the three files.
    const sent = JSON.parse(readFileSync(join(queueDir, "sent.jsonl"), "utf8").trim());
    // A new anonymous submission comes with its manage token, shown once and kept.
    expect(sent.manageToken).toMatch(/^\S{16,}$/);
    expect(result.stdout).toContain(
      `manage token (shown once; also kept in ${queueDir}/sent.jsonl): ${sent.manageToken}`,
    );
    const archive = join(out, sent.archive);
    expect(sent.archive).toMatch(/^10de-0fc6_NVE0-GK107_\d{8}-\d{4}\.tar\.xz$/);
    const listing = execFileSync("tar", ["-tJf", archive], { encoding: "utf8" }).trim().split("\n");
    expect(listing).toEqual(["metadata.json", "description.txt", "trace.mmiotrace"]);
    const metadata = JSON.parse(
      execFileSync("tar", ["-xOJf", archive, "metadata.json"], { encoding: "utf8" }),
    );
    expect(metadata).toMatchObject({
      schema: "mmiohub-agent/metadata@1",
      title: "GK107 (10de:0fc6)",
      distribution: "Debian GNU/Linux 12 (bookworm)",
      gpus: [{ slot: "0000:01:00.0", pciId: "10de:0fc6", subsystem: "1462:2750" }],
      displays: [{ connector: "card0-DVI-I-1", status: "connected", modes: ["1920x1200", "1280x1024"] }],
      recording: { lostEvents: 0, card: { name: "GK107" } },
    });
    expect(metadata.hostname).toBeUndefined();
    expect(metadata.kernel).toMatch(/^Linux /);
    const trace = execFileSync("tar", ["-xOJf", archive, "trace.mmiotrace"]);
    expect(trace.toString().startsWith("VERSION 20070824\n")).toBe(true);
    expect(trace.length).toBe(metadata.recording.textBytes);

    const view = await until(async () => {
      const response = await fetch(`${server}/api/v1/submissions/${id}`);
      const body = (await response.json()) as { status: string };
      return body.status === "done" || body.status === "failed" ? body : undefined;
    }, `submission ${id} to finish`);
    expect(view).toMatchObject({
      id,
      status: "done",
      description: "Loaded the driver, then nothing else. GTX 650.",
      archiveSha256: sent.sha256,
      metadata: {
        title: "GK107 (10de:0fc6)",
        gpus: [{ pciId: "10de:0fc6" }],
        recording: { sha256: metadata.recording.sha256 },
      },
    });
    const traces = (
      view as unknown as {
        traces: Array<{ member: string; lineCount: number; devices: Array<{ pciId: string }> }>;
      }
    ).traces;
    const traced = traces.find((entry) => entry.member === "trace.mmiotrace");
    expect(traced?.lineCount).toBe(metadata.recording.lines);
    expect(traced?.devices.map((device) => device.pciId)).toContain("10de:0fc6");

    // The same bytes through the one-shot form upload name the same submission.
    const again = await runAgent(
      ["upload", archive, "--method", "multipart", "--server", server, "--queue-dir", queueDir],
      system.env,
    );
    expect(again.code, again.stdout + again.stderr).toBe(0);
    expect(again.stdout).toContain(`submission ${id}`);
  });
});
