import { resolve } from "node:path";
import { z } from "zod";

const url = (protocols: string[], fallback: string) =>
  z
    .string()
    .default(fallback)
    .refine(
      (value) => {
        try {
          return protocols.includes(new URL(value).protocol);
        } catch {
          return false;
        }
      },
      `must be a URL starting with ${protocols.map((p) => `${p}//`).join(" or ")}`,
    );

export const databaseUrl = url(["postgresql:", "postgres:"], "postgresql://postgres@127.0.0.1:5432/mmiohub");
export const redisUrl = url(["redis:", "rediss:"], "redis://127.0.0.1:6379");
export const storageDir = z
  .string()
  .default("./data/blobs")
  .transform((dir) => resolve(dir));

/** Variables every service shares. */
export const commonEnv = {
  DATABASE_URL: databaseUrl,
  REDIS_URL: redisUrl,
  STORAGE_DIR: storageDir,
  LOG_LEVEL: z.enum(["fatal", "error", "warn", "info", "debug", "trace", "silent"]).default("info"),
};
