// The worker process: configuration, connections, the ingest worker, the sweep, graceful close.
import { ConfigError } from "@mmiohub/config";
import { createPrisma } from "@mmiohub/db";
import { createQueue, JOBS, redisConnection } from "@mmiohub/jobs";
import { createBlobStore } from "@mmiohub/storage";
import type { Job } from "bullmq";
import { pino } from "pino";
import { collectBlobGarbage } from "./blob-gc";
import { loadWorkerEnv } from "./env";
import { sweep } from "./sweeper";
import { createIngestWorker } from "./worker";

function fatal(message: string): never {
  process.stderr.write(`mmiohub-worker: ${message}\n`);
  process.exit(1);
}

let config: ReturnType<typeof loadWorkerEnv>;
try {
  config = loadWorkerEnv();
} catch (err) {
  fatal(err instanceof ConfigError ? err.message : String(err));
}
const log = pino({ level: config.LOG_LEVEL, name: "worker" });
const prisma = createPrisma(config.DATABASE_URL, { max: 4 });
const db = new URL(config.DATABASE_URL);
await prisma.$queryRaw`SELECT 1`.catch((err: Error) =>
  fatal(
    `cannot reach PostgreSQL at ${db.hostname}:${db.port || 5432}${db.pathname} (DATABASE_URL): ${err.message}`,
  ),
);
const queue = createQueue("ingest", redisConnection(config.REDIS_URL, "worker"), config.QUEUE_PREFIX);
const redis = new URL(config.REDIS_URL);
await Promise.race([
  queue.client.then((c) => c.info()),
  new Promise((_, reject) => setTimeout(() => reject(new Error("no answer within 5 s")), 5_000)),
]).catch((err: Error) =>
  fatal(`cannot reach Redis at ${redis.hostname}:${redis.port || 6379} (REDIS_URL): ${err.message}`),
);

const storage = createBlobStore(config);
const worker = createIngestWorker({ prisma, storage, config, log }, { prefix: config.QUEUE_PREFIX });
// Jobs running in this process, so a shutdown that runs out of time can hand them back.
const active = new Map<string, Job>();
worker.on("active", (job) => active.set(job.id ?? "", job));
for (const event of ["completed", "failed"] as const)
  worker.on(event, (job?: Job) => {
    if (job) active.delete(job.id ?? "");
  });

/**
 * Gives a running job back to the queue at once (another worker starts it without waiting for the
 * lock to expire). The interrupted run does not count as an attempt: it was stopped, not crashed.
 * Should this run still commit meanwhile, the next one finds the submission done (saveTraces).
 */
async function handBack(job: Job): Promise<void> {
  const { submissionId } = JOBS.ingest.schema.parse(job.data);
  await prisma.submission.updateMany({
    where: { id: submissionId, status: { in: ["processing", "reprocessing"] }, attempts: { gt: 0 } },
    data: { attempts: { decrement: 1 } },
  });
  await job.moveToWait(job.token);
  log.info({ submissionId, jobId: job.id }, "shutdown: job handed back to the queue");
}

// Installed before anything is awaited below: the worker takes jobs as soon as it exists, and a
// SIGTERM during the start-up sweep must still let them finish or hand them back.
let timer: NodeJS.Timeout | undefined;
let gcTimer: NodeJS.Timeout | undefined;
let closing = false;
for (const signal of ["SIGINT", "SIGTERM"] as const) {
  process.once(signal, async () => {
    if (closing) return;
    closing = true;
    clearInterval(timer);
    clearInterval(gcTimer);
    log.info(
      { signal, running: active.size, graceMs: config.SHUTDOWN_GRACE_MS },
      "shutting down: letting running jobs finish",
    );
    // Past the grace and the hand-back, leave whatever still hangs (an unreachable Redis).
    setTimeout(() => process.exit(1), config.SHUTDOWN_GRACE_MS + 10_000).unref();
    const closed = worker.close().then(() => true);
    const finished = await Promise.race([
      closed,
      new Promise<false>((resolve) => setTimeout(resolve, config.SHUTDOWN_GRACE_MS, false).unref()),
    ]);
    let code = 0;
    if (!finished) {
      const results = await Promise.allSettled([...active.values()].map(handBack));
      for (const r of results)
        if (r.status === "rejected") {
          // Its lock expires after JOB_LOCK_MS and the job is handed out again then.
          log.warn({ err: r.reason }, "shutdown: could not hand a job back");
          code = 1;
        }
    }
    await Promise.allSettled([queue.close(), prisma.$disconnect()]);
    process.exit(code);
  });
}

const sweepOptions = { staleAfterMs: config.STALE_AFTER_MS, maxAttempts: config.MAX_ATTEMPTS };
// At start-up nothing can be in flight on this worker's behalf: look at everything unfinished.
await sweep(prisma, queue, log, { ...sweepOptions, staleAfterMs: 0 }).catch((err) =>
  log.warn({ err }, "start-up sweep failed"),
);
if (!closing) {
  timer = setInterval(() => {
    sweep(prisma, queue, log, sweepOptions).catch((err) => log.warn({ err }, "sweep failed"));
  }, config.SWEEP_INTERVAL_MS);
  gcTimer = setInterval(() => {
    collectBlobGarbage(prisma, storage, log, { graceMs: config.BLOB_GC_GRACE_MS }).catch((err) =>
      log.warn({ err }, "blob garbage collection failed"),
    );
  }, config.BLOB_GC_INTERVAL_MS);
  log.info({ concurrency: config.WORKER_CONCURRENCY }, "worker started");
}
