import type { FastifyPluginAsyncZod } from "fastify-type-provider-zod";
import { z } from "zod";

const check = z.object({ ok: z.boolean(), error: z.string().optional() });
const health = z.object({ status: z.enum(["ok", "degraded"]), database: check, redis: check });

async function probe(fn: () => Promise<unknown>): Promise<z.infer<typeof check>> {
  try {
    await Promise.race([
      fn(),
      new Promise((_, reject) => setTimeout(() => reject(new Error("timed out after 2 s")), 2_000)),
    ]);
    return { ok: true };
  } catch (err) {
    return { ok: false, error: (err as Error).message };
  }
}

/** GET /health: 200 when PostgreSQL and Redis both answer, 503 with what failed otherwise. */
export const healthRoutes: FastifyPluginAsyncZod = async (app) => {
  app.get("/health", { schema: { response: { 200: health, 503: health } } }, async (_request, reply) => {
    const [database, redis] = await Promise.all([
      probe(() => app.deps.prisma.$queryRaw`SELECT 1`),
      probe(async () => (await app.deps.queue.client).info()),
    ]);
    const ok = database.ok && redis.ok;
    return reply.status(ok ? 200 : 503).send({ status: ok ? "ok" : "degraded", database, redis });
  });
};
