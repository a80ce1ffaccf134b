import { type ChildProcess, spawn } from "node:child_process";
import { join } from "node:path";
import { createQueue, redisConnection } from "@mmiohub/jobs";
import type { Queue } from "bullmq";
import { afterAll, beforeAll } from "vitest";
import { makeDeps, nonce, prisma, REPO } from "./helpers";
import { privateDatabase } from "./private-database";

export type WorkerProcess = ChildProcess & { output: () => string };

/** The real worker process (src/main.ts), as deployed. */
export function startWorker(env: Record<string, string>): WorkerProcess {
  const child = spawn(process.execPath, ["--import", "tsx", join(REPO, "services/worker/src/main.ts")], {
    cwd: REPO,
    env: { ...process.env, LOG_LEVEL: "info", ...env },
    stdio: ["ignore", "pipe", "pipe"],
  });
  let output = "";
  child.stdout?.on("data", (d) => {
    output += d;
  });
  child.stderr?.on("data", (d) => {
    output += d;
  });
  return Object.assign(child, { output: () => output });
}

export async function stopWorker(child: ChildProcess, signal: NodeJS.Signals = "SIGTERM"): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  await new Promise<void>((resolve) => {
    child.once("exit", () => resolve());
    child.kill(signal);
  });
}

/** A GK107 trace of about `lines` lines (2 MB per 50k): big enough to kill a worker in the middle of it. */
export function bigTrace(lines: number, seed = 1): Buffer {
  let s = seed;
  const rnd = (n: number) => {
    s = (s * 1103515245 + 12345) & 0x7fffffff;
    return (s >>> 8) % n; // the low bits of this generator repeat quickly
  };
  const parts = [
    "VERSION 20070824\n",
    "PCIDEV 0100 10de0fc6 1a f6000000 e000000c 0 e800000c 0 e001 f7000000 1000000 8000000 0 2000000 0 80 80000 nvidia\n",
    "MAP 100.000100 1 0xf6000000 0xffffc90010000000 0x1000000 0x0 0\n",
    "R 4 100.000200 1 0xf6000000 0x0e7150a2 0x0 0\n",
  ];
  let t = 100_000_300;
  for (let i = 0; i < lines; i++) {
    t += 1 + rnd(30);
    const ts = `${Math.floor(t / 1e6)}.${String(t % 1e6).padStart(6, "0")}`;
    if (i % 10_000 === 0) parts.push(`MARK ${ts} phase ${i / 10_000}\n`);
    const off = rnd(0x4000) * 4;
    parts.push(
      `${rnd(2) ? "R" : "W"} 4 ${ts} 1 0x${(0xf6000000 + off).toString(16)} 0x${rnd(2 ** 30).toString(16)} 0x0 0\n`,
    );
  }
  return Buffer.from(parts.join(""));
}

export interface LogLine {
  msg?: string;
  submissionId?: string;
  outcome?: string;
  /** the hand-back: whether the run had counted as an attempt */
  counted?: boolean;
}

/** The JSON lines a worker process logged so far. */
export const logLines = (w: WorkerProcess): LogLine[] =>
  w
    .output()
    .split("\n")
    .filter((l) => l.startsWith("{"))
    .map((l) => JSON.parse(l) as LogLine);

/** The lines with this message (and, if given, this submission) a worker process logged so far. */
export const said = (w: WorkerProcess, msg: string, id?: string) =>
  logLines(w).filter((l) => l.msg === msg && (id === undefined || l.submissionId === id));

/**
 * What the tests with real worker processes share, set up in beforeAll and torn down in afterAll:
 * a database of the file's own (a worker's start-up sweep takes every unfinished submission of its
 * database), in-process ingest deps on it, a queue under a prefix of its own, and `worker()` to
 * start real worker processes on all three (SIGKILLed at the end). `env` is every worker's.
 */
export function workerTestBed(tag: string, env: Record<string, string> = {}) {
  const prefix = `${tag}${process.pid}${nonce()}`;
  const running: WorkerProcess[] = [];
  const sharedUrl = process.env.DATABASE_URL;
  let database: Awaited<ReturnType<typeof privateDatabase>>;
  let deps: Awaited<ReturnType<typeof makeDeps>>;
  let queue: Queue;
  beforeAll(async () => {
    database = await privateDatabase(`${tag}${process.pid}`);
    process.env.DATABASE_URL = database.url; // helpers (prisma, storedRows, makeDeps) read it
    deps = await makeDeps();
    queue = createQueue("ingest", redisConnection(deps.config.REDIS_URL, "producer"), prefix);
  });
  afterAll(async () => {
    await Promise.all(running.map((w) => stopWorker(w, "SIGKILL")));
    await queue.obliterate({ force: true }).catch(() => {});
    await queue.close();
    await prisma().$disconnect();
    await database.drop();
    process.env.DATABASE_URL = sharedUrl;
  });
  return {
    prefix,
    get deps() {
      return deps;
    },
    get queue() {
      return queue;
    },
    worker(extra: Record<string, string> = {}): WorkerProcess {
      const w = startWorker({
        DATABASE_URL: database.url,
        REDIS_URL: deps.config.REDIS_URL,
        STORAGE_DIR: deps.storage.root,
        QUEUE_PREFIX: prefix,
        ...env,
        ...extra,
      });
      running.push(w);
      return w;
    },
  };
}
