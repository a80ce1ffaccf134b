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
const worker = createIngestWorker({ prisma, storage, config, log }, { prefix: config.QUEUE_PREFIX });
const sweepOptions = { staleAfterMs: config.STALE_AFTER_MS, maxAttempts: config.MAX_ATTEMPTS };
// At start-up nothing can be in flight on this worker's behalf: look at everything unfinished.
await sweep(prisma, queue, log, { ...sweepOptions, staleAfterMs: 0 }).catch((err) =>
  log.warn({ err }, "start-up sweep failed"),
);
const timer = setInterval(() => {
  sweep(prisma, queue, log, sweepOptions).catch((err) => log.warn({ err }, "sweep failed"));
}, config.SWEEP_INTERVAL_MS);
const gcTimer = setInterval(() => {
  collectBlobGarbage(prisma, storage, log, { graceMs: config.BLOB_GC_GRACE_MS }).catch((err) =>
    log.warn({ err }, "blob garbage collection failed"),
  );
}, config.BLOB_GC_INTERVAL_MS);
log.info({ concurrency: config.WORKER_CONCURRENCY }, "worker started");

let closing = false;
for (const signal of ["SIGINT", "SIGTERM"] as const) {
  process.once(signal, async () => {
    if (closing) return;
    closing = true;
    clearInterval(timer);
    clearInterval(gcTimer);
    log.info({ signal }, "shutting down: letting the current job finish");
    const force = setTimeout(() => process.exit(1), 60_000).unref();
    await worker.close();
    await Promise.allSettled([queue.close(), prisma.$disconnect()]);
    clearTimeout(force);
    process.exit(0);
  });
}
