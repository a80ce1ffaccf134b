import rateLimit, { type RateLimitOptions } from "@fastify/rate-limit";
import type { FastifyInstance } from "fastify";
import type { ApiConfig } from "../../env";
import { AppError } from "../../errors";

/**
 * @fastify/rate-limit with its counters in Redis, so every API instance sees the same counts and the
 * instances stay stateless. Nothing is limited globally; routes opt in through `config.rateLimit`.
 * When Redis does not answer the request goes through: an upload matters more than its count.
 */
export async function registerRateLimit(app: FastifyInstance): Promise<void> {
  const { queue, config } = app.deps;
  // A connection of our own, with the producer's options (fail fast, no offline queue).
  const redis = (await queue.client).duplicate();
  redis.on("error", () => {});
  app.addHook("onClose", async () => {
    redis.disconnect();
  });
  await app.register(rateLimit, {
    global: false,
    redis,
    nameSpace: `mmiohub:${config.QUEUE_PREFIX || "api"}:rate:`,
    skipOnError: true,
  });
}

/** Route options for uploads: anonymous clients get ANON_UPLOAD_LIMIT per window per address. */
export function anonymousUploadLimit(config: ApiConfig): RateLimitOptions {
  const windowSeconds = config.ANON_UPLOAD_WINDOW_SECONDS;
  return {
    max: config.ANON_UPLOAD_LIMIT,
    timeWindow: windowSeconds * 1000,
    groupId: "anonymous-upload",
    // Contributors and maintainers upload with their token and are not counted.
    allowList: (request) => request.auth.kind === "token",
    errorResponseBuilder: (_request, context) =>
      new AppError(
        "RATE_LIMITED",
        `too many anonymous uploads from this address: ${context.max} per ${windowSeconds} s; ` +
          `retry in ${context.after}, or upload with a contributor token`,
      ),
  };
}
