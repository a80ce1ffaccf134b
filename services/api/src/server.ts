// Process work only: configuration, connections, listen, graceful close.
import { ConfigError } from "@mmiohub/config";
import { createPrisma } from "@mmiohub/db";
import { createQueue, redisConnection } from "@mmiohub/jobs";
import { createBlobStore } from "@mmiohub/storage";
import { buildApp } from "./app";
import { loadApiEnv } from "./env";
import { checkBackingServices, fatal } from "./startup";

let config: ReturnType<typeof loadApiEnv>;
try {
  config = loadApiEnv();
} catch (err) {
  fatal(err instanceof ConfigError ? err.message : String(err));
}
const prisma = createPrisma(config.DATABASE_URL);
const queue = createQueue("ingest", redisConnection(config.REDIS_URL, "producer"), config.QUEUE_PREFIX);
queue.on("error", () => {}); // reported per request (503) and by /health
await checkBackingServices(config, prisma, queue);

const app = await buildApp(
  { config, prisma, storage: createBlobStore(config), queue },
  {
    logger: { level: config.LOG_LEVEL },
    bodyLimit: 1024 * 1024,
    requestTimeout: 0,
    trustProxy: config.TRUST_PROXY,
  },
);
await app.listen({ host: config.HOST, port: config.PORT });

let closing = false;
for (const signal of ["SIGINT", "SIGTERM"] as const) {
  process.once(signal, async () => {
    if (closing) return;
    closing = true;
    app.log.info({ signal }, "shutting down: finishing in-flight requests");
    const timer = setTimeout(() => process.exit(1), 30_000).unref();
    await app.close();
    await Promise.allSettled([queue.close(), prisma.$disconnect()]);
    clearTimeout(timer);
    process.exit(0);
  });
}
