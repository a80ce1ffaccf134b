import type { ConnectionOptions } from "bullmq";

/**
 * BullMQ connection options from a redis:// URL. Workers need `maxRetriesPerRequest: null`;
 * `enableOfflineQueue: false` on producers makes a Redis outage fail fast instead of hanging.
 */
export function redisConnection(url: string, role: "producer" | "worker"): ConnectionOptions {
  const u = new URL(url);
  return {
    host: u.hostname,
    port: Number(u.port || 6379),
    username: u.username || undefined,
    password: u.password ? decodeURIComponent(u.password) : undefined,
    db: u.pathname.length > 1 ? Number(u.pathname.slice(1)) : 0,
    tls: u.protocol === "rediss:" ? {} : undefined,
    maxRetriesPerRequest: role === "worker" ? null : 1,
    enableOfflineQueue: role === "worker",
    connectTimeout: 5_000,
  };
}
