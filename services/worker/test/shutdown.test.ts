import { createQueue, redisConnection } from "@mmiohub/jobs";
import type { Queue } from "bullmq";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { archiveOf, comparable, makeDeps, nonce, prisma, storedRows, submit, waitFor } from "./helpers";
import { privateDatabase } from "./private-database";
import { bigTrace, startWorker, stopWorker, type WorkerProcess } from "./worker-process";

// Graceful shutdown of the real worker process: SIGTERM lets the running job finish, or, past
// SHUTDOWN_GRACE_MS, hands it back to the queue at once for the next worker. Never lost, never
// processed twice.
type Deps = Awaited<ReturnType<typeof makeDeps>>;
let deps: Deps;
let queue: Queue;
let database: Awaited<ReturnType<typeof privateDatabase>>;
let trace: Buffer;
const sharedUrl = process.env.DATABASE_URL;
const prefix = `sd${process.pid}${nonce()}`;
const running: WorkerProcess[] = [];

function worker(extra: Record<string, string> = {}): WorkerProcess {
  const w = startWorker({
    DATABASE_URL: database.url,
    REDIS_URL: deps.config.REDIS_URL,
    STORAGE_DIR: deps.storage.root,
    QUEUE_PREFIX: prefix,
    // Long locks and a slow sweep: a job that comes back quickly was handed back, not timed out.
    JOB_LOCK_MS: "120000",
    STALE_AFTER_MS: "600000",
    ...extra,
  });
  running.push(w);
  return w;
}

const logOf = (w: WorkerProcess) =>
  w
    .output()
    .split("\n")
    .filter((l) => l.startsWith("{"))
    .map((l) => JSON.parse(l) as { msg?: string; submissionId?: string; outcome?: string });
const said = (w: WorkerProcess, msg: string, id: string) =>
  logOf(w).filter((l) => l.msg === msg && l.submissionId === id);
const exited = (w: WorkerProcess) =>
  new Promise<number | null>((resolve) =>
    w.exitCode !== null ? resolve(w.exitCode) : w.once("exit", (code) => resolve(code)),
  );

async function enqueueAndWaitForStart(w: WorkerProcess): Promise<string> {
  const id = await submit(deps, await archiveOf(trace), `${nonce()}.tar.gz`);
  await queue.add("ingest", { submissionId: id }, { jobId: `ingest-${id}` });
  await waitFor(
    async () => (said(w, "ingest started", id).length ? true : undefined),
    60_000,
    `the job to start (${w.output().slice(-1000)})`,
  );
  return id;
}

beforeAll(async () => {
  database = await privateDatabase(`sd${process.pid}`);
  process.env.DATABASE_URL = database.url; // helpers (prisma, storedRows, makeDeps) read it
  deps = await makeDeps();
  queue = createQueue("ingest", redisConnection(deps.config.REDIS_URL, "producer"), prefix);
  // Long enough that a job seen starting is still running when SIGTERM lands, even on a fast machine.
  trace = bigTrace(400_000);
});
afterAll(async () => {
  await Promise.all(running.map((w) => stopWorker(w, "SIGKILL")));
  await queue.obliterate({ force: true }).catch(() => {});
  await queue.close();
  await prisma().$disconnect();
  await database.drop();
  process.env.DATABASE_URL = sharedUrl;
});

describe("worker shutdown on SIGTERM", { timeout: 180_000 }, () => {
  let finishedRows: ReturnType<typeof comparable>;

  it("lets the running job finish, then exits 0", async () => {
    const w = worker();
    const id = await enqueueAndWaitForStart(w);
    w.kill("SIGTERM");
    expect(await exited(w)).toBe(0);
    const s = await prisma().submission.findUniqueOrThrow({ where: { id } });
    expect({ status: s.status, attempts: s.attempts }).toEqual({ status: "done", attempts: 1 });
    expect(said(w, "ingest finished", id).map((l) => l.outcome)).toEqual(["done"]);
    // the job ran to its end: the log says so after the shutdown began
    const lines = logOf(w).map((l) => l.msg);
    expect(lines.indexOf("ingest finished")).toBeGreaterThan(
      lines.indexOf("shutting down: letting running jobs finish"),
    );
    expect(await queue.getCompletedCount()).toBe(1);
    finishedRows = comparable(await storedRows(id));
    expect(finishedRows.traces).toHaveLength(1);
  });

  it("past the grace, hands the job back at once; the next worker finishes it, once", async () => {
    const first = worker({ SHUTDOWN_GRACE_MS: "1" });
    const id = await enqueueAndWaitForStart(first);
    first.kill("SIGTERM");
    expect(await exited(first)).toBe(0);
    expect(said(first, "shutdown: job handed back to the queue", id)).toHaveLength(1);
    expect(said(first, "ingest finished", id)).toEqual([]);
    const job = await queue.getJob(`ingest-${id}`);
    expect(await job?.getState()).toBe("waiting");
    const handed = await prisma().submission.findUniqueOrThrow({ where: { id } });
    // the interrupted run is not counted as an attempt, and nothing of it is visible
    expect({ status: handed.status, attempts: handed.attempts }).toEqual({
      status: "processing",
      attempts: 0,
    });
    expect((await storedRows(id)).traces).toEqual([]);

    const second = worker();
    const done = await waitFor(
      async () => {
        const s = await prisma().submission.findUniqueOrThrow({ where: { id } });
        return s.status === "done" || s.status === "failed" ? s : undefined;
      },
      // far less than the 120 s lock: the job did not wait for its lock to expire
      90_000,
      `the next worker to finish the job (${second.output().slice(-1000)})`,
    );
    expect({ status: done.status, attempts: done.attempts }).toEqual({ status: "done", attempts: 1 });
    // the log line follows the commit: read the worker's output once it has arrived
    await waitFor(
      async () => (said(second, "ingest finished", id).length ? true : undefined),
      10_000,
      "the second worker's 'ingest finished' line",
    );
    expect(said(second, "ingest finished", id).map((l) => l.outcome)).toEqual(["done"]);
    const rows = comparable(await storedRows(id));
    expect({ ...rows, submission: [] }).toEqual({ ...finishedRows, submission: [] });
    await stopWorker(second);
    expect(second.exitCode).toBe(0);
  });
});
