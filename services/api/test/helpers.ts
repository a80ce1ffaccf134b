import { type ChildProcess, spawn } from "node:child_process";
import { mkdtemp } from "node:fs/promises";
import { type AddressInfo, createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createPrisma, freshDatabase, type PrismaClient } from "@mmiohub/db";
import { createQueue, redisConnection } from "@mmiohub/jobs";
import { LocalBlobStore } from "@mmiohub/storage";
import { buildApp } from "../src/app";
import { loadApiEnv } from "../src/env";
import { createApiToken, revokeApiToken } from "../src/services/auth-tokens";

export const REPO = new URL("../../../", import.meta.url).pathname;
export const SHARED = process.env.MMIOHUB_SHARED ?? join(REPO, "../shared");

/** An app on the real database and Redis, with its own storage directory and queue prefix. */
export async function startApi(
  overrides: Record<string, string> = {},
  // Off unless asked: most tests write rows straight into the database and read them back at once,
  // faster than the change notification that would clear the caches (read-cache.test.ts tests them).
  options: { readCache?: number } = {},
) {
  const storageDir = await mkdtemp(join(tmpdir(), "mmiohub-api-"));
  const prefix = `t${process.pid}-${Math.random().toString(36).slice(2, 8)}`;
  const config = loadApiEnv({
    ...process.env,
    STORAGE_DIR: storageDir,
    QUEUE_PREFIX: prefix,
    PORT: "0",
    ...overrides,
  });
  const prisma = createPrisma(config.DATABASE_URL, { max: 4 });
  const queue = createQueue("ingest", redisConnection(config.REDIS_URL, "producer"), config.QUEUE_PREFIX);
  // Two apps given the same STORAGE_DIR share it, as API instances behind one load balancer do.
  const storage = new LocalBlobStore(config.STORAGE_DIR);
  const app = await buildApp(
    { config, prisma, storage, queue, readCache: options.readCache ?? 0 },
    { logger: false },
  );
  return {
    app,
    config,
    prisma,
    queue,
    storage,
    storageDir: config.STORAGE_DIR,
    prefix: config.QUEUE_PREFIX,
    async close() {
      await app.close();
      await queue.obliterate({ force: true }).catch(() => {});
      await queue.close();
      await prisma.$disconnect();
    },
  };
}

/** Starts the real worker process (services/worker/src/main.ts) against the same stores. */
export function startWorker(env: Record<string, string>): ChildProcess & { output: () => string } {
  const child = spawn(process.execPath, ["--import", "tsx", join(REPO, "services/worker/src/main.ts")], {
    cwd: REPO,
    env: { ...process.env, LOG_LEVEL: "info", ...env },
    stdio: ["ignore", "pipe", "pipe"],
  });
  let output = "";
  child.stdout?.on("data", (d) => (output += d));
  child.stderr?.on("data", (d) => (output += d));
  return Object.assign(child, { output: () => output });
}

/**
 * The API and the real worker process on a database of their own (a worker's start-up sweep takes
 * every unfinished submission of its database, other test files' included), same Redis prefix and
 * storage. `close` stops both and drops the database.
 */
export async function startApiAndWorker(overrides: Record<string, string> = {}) {
  const database = await freshDatabase(
    process.env.DATABASE_URL!,
    `aw${process.pid}${Math.random().toString(36).slice(2, 6)}`,
  );
  const api = await startApi({ ...overrides, DATABASE_URL: database.url });
  const worker = startWorker({
    DATABASE_URL: api.config.DATABASE_URL,
    REDIS_URL: api.config.REDIS_URL,
    STORAGE_DIR: api.storageDir,
    QUEUE_PREFIX: api.prefix,
  });
  return {
    api,
    worker,
    async close() {
      await stopProcess(worker);
      await api.close();
      await database.drop();
    },
  };
}

/** What startApiAndWorker gives: the API (in-process), the worker process and their close. */
export type ApiAndWorker = Awaited<ReturnType<typeof startApiAndWorker>>;

export async function stopProcess(child: ChildProcess, signal: NodeJS.Signals = "SIGTERM"): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  await new Promise<void>((resolve) => {
    child.once("exit", () => resolve());
    child.kill(signal);
  });
}

/** A multipart/form-data body for app.inject. */
export function multipart(parts: { name: string; value: string | Buffer; filename?: string }[]) {
  const boundary = `----mmiohub${Math.random().toString(16).slice(2)}`;
  const chunks: Buffer[] = [];
  for (const p of parts) {
    const disposition = `form-data; name="${p.name}"${p.filename ? `; filename="${p.filename}"` : ""}`;
    const type = p.filename ? "Content-Type: application/octet-stream\r\n" : "";
    chunks.push(Buffer.from(`--${boundary}\r\nContent-Disposition: ${disposition}\r\n${type}\r\n`));
    chunks.push(Buffer.isBuffer(p.value) ? p.value : Buffer.from(p.value));
    chunks.push(Buffer.from("\r\n"));
  }
  chunks.push(Buffer.from(`--${boundary}--\r\n`));
  return {
    payload: Buffer.concat(chunks),
    headers: { "content-type": `multipart/form-data; boundary=${boundary}` },
  };
}

/** `what` names the awaited thing in the timeout error; a function is called only then (process output). */
export async function waitFor<T>(
  fn: () => Promise<T | undefined>,
  timeoutMs = 30_000,
  what: string | (() => string) = "condition",
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await fn();
    if (value !== undefined) return value;
    if (Date.now() > deadline)
      throw new Error(`timed out waiting for ${typeof what === "function" ? what() : what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

/** Polls `read` (a submission, as a row or an answer) until its ingest has ended, done or failed. */
export function waitProcessed<T extends { status: string }>(
  read: () => Promise<T>,
  timeoutMs: number,
  what: string | (() => string),
): Promise<T> {
  return waitFor(
    async () => {
      const s = await read();
      return s.status === "done" || s.status === "failed" ? s : undefined;
    },
    timeoutMs,
    what,
  );
}

/**
 * API tokens by name for permission tests: contributors `alice` and `bob`, a `maintainer`, an
 * `expired` maintainer's (a minute ago), a `revoked` maintainer's and a `bad` one (no such token).
 */
export async function testTokens(prisma: PrismaClient): Promise<Record<string, string>> {
  const tok: Record<string, string> = {};
  const make = async (name: string, role: "contributor" | "maintainer", expiresAt: Date | null = null) =>
    (tok[name] = (await createApiToken(prisma, { name, role, expiresAt })).token);
  await make("alice", "contributor");
  await make("bob", "contributor");
  await make("maintainer", "maintainer");
  await make("expired", "maintainer", new Date(Date.now() - 60_000));
  const revoked = await createApiToken(prisma, { name: "gone", role: "maintainer" });
  await revokeApiToken(prisma, revoked.id);
  tok.revoked = revoked.token;
  tok.bad = "mmh_this-token-does-not-exist";
  return tok;
}

/** A loopback port free right now, so a server's PUBLIC_URL (the links it hands out) names the real one. */
export async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise((resolve) => server.close(resolve));
  return port;
}
