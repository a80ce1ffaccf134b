import rateLimit, { type RateLimitOptions } from "@fastify/rate-limit";
import type { FastifyInstance } from "fastify";
import type { AppDeps } from "../../app";
import type { ApiConfig } from "../../env";
import { AppError } from "../../errors";

type RedisClient = Awaited<AppDeps["queue"]["client"]>;
type Callback = (err: Error | null, res?: { current: number; ttl: number }) => void;

// One round trip, atomic: count, start the window on the first hit, report what is left of it.
const COUNT = `local c = redis.call('INCR', KEYS[1])
if c == 1 then redis.call('PEXPIRE', KEYS[1], ARGV[1]) end
return {c, redis.call('PTTL', KEYS[1])}`;
const READ = `local c = redis.call('GET', KEYS[1])
if not c then return {0, 0} end
return {tonumber(c), math.max(redis.call('PTTL', KEYS[1]), 0)}`;

/**
 * Counters in Redis, one per client key, shared by every route that names the same `groupId`
 * (the plugin's own Redis store keeps a counter per route, which would let a client spend its
 * allowance on multipart uploads and again on resumable ones).
 */
class SharedRedisStore {
  private readonly run: (name: string, args: (string | number)[]) => Promise<unknown>;
  constructor(
    redis: RedisClient,
    private readonly prefix: string,
  ) {
    redis.defineCommand("mmiohubRateCount", { numberOfKeys: 1, lua: COUNT });
    redis.defineCommand("mmiohubRateRead", { numberOfKeys: 1, lua: READ, readOnly: true });
    // bullmq's wrapper dispatches scripts through runCommand; a plain ioredis client (what
    // duplicate() gives) has them as methods.
    const raw = redis as unknown as Record<string, (...args: unknown[]) => Promise<unknown>>;
    this.run =
      typeof raw.runCommand === "function"
        ? (name, args) => redis.runCommand(name, args)
        : (name, args) => (raw[name] as (...args: unknown[]) => Promise<unknown>)(...args);
  }

  private call(name: string, args: (string | number)[], cb: Callback): void {
    this.run(name, args)
      .then((reply) => {
        const [current, ttl] = reply as [number, number];
        cb(null, { current: Number(current), ttl: Number(ttl) });
      })
      .catch((err: Error) => cb(err));
  }

  incr(key: string, cb: Callback, timeWindow: number): void {
    this.call("mmiohubRateCount", [this.prefix + key, timeWindow], cb);
  }

  read(key: string, cb: Callback): void {
    this.call("mmiohubRateRead", [this.prefix + key], cb);
  }

  child(): SharedRedisStore {
    return this;
  }
}

/**
 * @fastify/rate-limit with its counters in Redis, so every API instance sees the same counts and the
 * instances stay stateless. Nothing is limited globally; routes opt in through `config.rateLimit`.
 * When Redis does not answer the request goes through: an upload matters more than its count.
 */
export async function registerRateLimit(app: FastifyInstance): Promise<void> {
  const { queue, config } = app.deps;
  // A connection of our own, with the producer's options (fail fast, no offline queue).
  // server.ts checked Redis before building the app; never wait forever for it here.
  const client = await Promise.race([
    queue.client,
    new Promise<never>((_, reject) =>
      setTimeout(() => reject(new Error("rate limit: no Redis connection within 10 s")), 10_000).unref(),
    ),
  ]);
  const redis = client.duplicate();
  redis.on("error", () => {});
  app.addHook("onClose", async () => {
    redis.disconnect();
  });
  const prefix = `mmiohub:${config.QUEUE_PREFIX || "api"}:rate:`;
  await app.register(rateLimit, {
    global: false,
    // The plugin constructs the store with its own settings; ours only needs the connection.
    store: class extends SharedRedisStore {
      constructor() {
        super(redis, prefix);
      }
    },
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
