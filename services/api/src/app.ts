import multipart from "@fastify/multipart";
import type { PrismaClient } from "@mmiohub/db";
import type { BlobStore } from "@mmiohub/storage";
import type { Queue } from "bullmq";
import Fastify, { type FastifyServerOptions } from "fastify";
import { serializerCompiler, validatorCompiler, type ZodTypeProvider } from "fastify-type-provider-zod";
import type { ApiConfig } from "./env";
import { registerAuth } from "./plugins/app/auth";
import { registerErrorHandler } from "./plugins/app/error-handler";
import { registerRateLimit } from "./plugins/external/rate-limit";
import { registerSwagger } from "./plugins/external/swagger";
import { healthRoutes } from "./routes/health";
import { submissionRoutes } from "./routes/submissions";
import { traceSearchRoutes } from "./routes/traces-search";
import { uploadRoutes } from "./routes/uploads";
import { webRoutes } from "./routes/web";
import { ChangeFeed } from "./services/change-feed";
import { ReadCaches } from "./services/read-caches";

/** What the app needs from the outside; server.ts creates these, tests pass their own. */
export interface AppDeps {
  config: ApiConfig;
  prisma: PrismaClient;
  storage: BlobStore;
  queue: Queue;
  /**
   * Read caches (search answers, trace rows, busiest registers) forgotten on every database change
   * (ChangeFeed): entries per cache (READ_CACHE_ENTRIES); 0 or absent turns them off (tests that
   * write rows straight into the database and read them back at once).
   */
  readCache?: number;
}

declare module "fastify" {
  interface FastifyInstance {
    deps: AppDeps;
    reads: ReadCaches;
  }
}

/** Builds the fastify app. It never listens: server.ts does process work, tests use inject. */
export async function buildApp(deps: AppDeps, options: FastifyServerOptions = {}) {
  const app = Fastify(options).withTypeProvider<ZodTypeProvider>();
  app.setValidatorCompiler(validatorCompiler);
  app.setSerializerCompiler(serializerCompiler);
  app.decorate("deps", deps);
  const entries = deps.readCache ?? 0;
  const feed = entries > 0 ? new ChangeFeed(deps.config.DATABASE_URL, app.log) : undefined;
  app.decorate("reads", new ReadCaches(deps.prisma, feed, entries));
  if (feed) {
    await feed.start();
    app.addHook("onClose", () => feed.close());
  }
  registerErrorHandler(app);
  registerAuth(app);
  await registerRateLimit(app);
  await registerSwagger(app);
  await app.register(multipart, {
    limits: {
      fileSize: deps.config.MAX_UPLOAD_BYTES + 1,
      files: 1,
      fields: 20,
      fieldSize: 512 * 1024,
      parts: 25,
    },
  });
  await app.register(healthRoutes);
  await app.register(submissionRoutes);
  await app.register(webRoutes);
  await app.register(traceSearchRoutes);
  await app.register(uploadRoutes);
  return app;
}
