// The worker process: configuration, connections, the ingest worker, the sweep, graceful close.
import { ConfigError } from "@mmiohub/config";
import { createPrisma } from "@mmiohub/db";
import { createQueue, redisConnection } from "@mmiohub/jobs";
import { createBlobStore } from "@mmiohub/storage";
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
const ingest = createIngestWorker({ prisma, storage, config, log }, { prefix: config.QUEUE_PREFIX });

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
      { signal, running: ingest.runningCount, graceMs: config.SHUTDOWN_GRACE_MS },
      "shutting down: letting running jobs finish",
    );
    // Past the grace and the hand-back, leave whatever still hangs (an unreachable Redis).
    setTimeout(() => process.exit(1), config.SHUTDOWN_GRACE_MS + 10_000).unref();
    const closed = ingest.worker.close().then(() => true);
    const finished = await Promise.race([
      closed,
      new Promise<false>((resolve) => setTimeout(resolve, config.SHUTDOWN_GRACE_MS, false).unref()),
    ]);
    let code = 0;
    if (!finished) {
      for (const r of await ingest.handBackRunning())
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
