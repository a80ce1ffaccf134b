import type { PrismaClient } from "@mmiohub/db";
import type { Queue } from "bullmq";

/** Prints one clear line and exits: start-up problems are not stack traces. */
export function fatal(message: string): never {
  process.stderr.write(`mmiohub-api: ${message}\n`);
  process.exit(1);
}

const describe = (err: unknown) => {
  const e = err as { message?: string; code?: string; cause?: { message?: string } };
  return e.cause?.message ?? e.message ?? e.code ?? String(err);
};

/** Refuses to start when PostgreSQL or Redis cannot be reached, naming which and where. */
export async function checkBackingServices(
  config: { DATABASE_URL: string; REDIS_URL: string },
  prisma: PrismaClient,
  queue: Queue,
): Promise<void> {
  const db = new URL(config.DATABASE_URL);
  try {
    await prisma.$queryRaw`SELECT 1`;
  } catch (err) {
    fatal(
      `cannot reach PostgreSQL at ${db.hostname}:${db.port || 5432}${db.pathname} (DATABASE_URL): ${describe(err)}`,
    );
  }
  const redis = new URL(config.REDIS_URL);
  try {
    const client = await Promise.race([
      queue.client,
      new Promise<never>((_, reject) => setTimeout(() => reject(new Error("no answer within 5 s")), 5_000)),
    ]);
    await client.info();
  } catch (err) {
    fatal(`cannot reach Redis at ${redis.hostname}:${redis.port || 6379} (REDIS_URL): ${describe(err)}`);
  }
}
