import { commonEnv, parseEnv } from "@mmiohub/config";
import { storageEnv } from "@mmiohub/storage";
import { z } from "zod";

const GiB = 1024 ** 3;

export const apiEnvSchema = z.object({
  ...commonEnv,
  ...storageEnv,
  HOST: z.string().default("127.0.0.1"),
  PORT: z.coerce.number().int().min(0).max(65535).default(8080),
  /** Base of the links we hand out (web pages of submissions and traces). */
  PUBLIC_URL: z.url().optional(),
  MAX_UPLOAD_BYTES: z.coerce
    .number()
    .int()
    .positive()
    .default(8 * GiB),
  QUEUE_PREFIX: z.string().default(""),
  /**
   * Behind a reverse proxy: trust its X-Forwarded-For, so rate limits see the client, not the proxy.
   * "true" (trust every proxy) or a comma-separated list of proxy addresses/CIDRs.
   */
  TRUST_PROXY: z
    .string()
    .default("false")
    .transform((v): boolean | string => (v === "true" ? true : v === "false" ? false : v)),
  /** Anonymous uploads (multipart posts and tus creations) per client address and window. */
  ANON_UPLOAD_LIMIT: z.coerce.number().int().positive().default(20),
  ANON_UPLOAD_WINDOW_SECONDS: z.coerce.number().int().positive().default(3600),
  /** An unfinished resumable upload is forgotten this long after its last chunk. */
  UPLOAD_EXPIRY_HOURS: z.coerce.number().positive().default(24),
  /** Search answers kept per process (trace rows: 1/8 of it, busiest registers: 1/4); 0 turns them off. */
  READ_CACHE_ENTRIES: z.coerce.number().int().min(0).default(1000),
  /**
   * API processes sharing the port: a number, or "auto" for one per CPU (what `npm start` and
   * docker-compose use). Each serves any request; see cluster.ts.
   */
  API_PROCESSES: z.union([z.literal("auto"), z.coerce.number().int().min(1).max(256)]).default(1),
  /** On SIGTERM, in-flight requests get this long to finish; then their connections are closed. */
  SHUTDOWN_GRACE_MS: z.coerce.number().int().positive().default(25_000),
});
export type ApiConfig = z.infer<typeof apiEnvSchema> & { PUBLIC_URL: string };

export function loadApiEnv(source: Record<string, string | undefined> = process.env): ApiConfig {
  const env = parseEnv(apiEnvSchema, source);
  return { ...env, PUBLIC_URL: (env.PUBLIC_URL ?? `http://${env.HOST}:${env.PORT}`).replace(/\/$/, "") };
}
