import type { FastifyBaseLogger } from "fastify";
import pg from "pg";

/** The channel the database's triggers notify (migration 20261126101000_busiest_registers_search_changes). */
export const CHANGES_CHANNEL = "mmiohub_search_changed";

/**
 * Tells read caches when what they hold may be stale. A dedicated connection LISTENs to the channel
 * that triggers notify on any change of submissions, traces and the rows that hang off them (once
 * per statement, delivered at commit), whoever made it: this instance, another one, the worker.
 * Each notification, and each loss of the connection, moves `generation` on; a cache keeps an entry
 * only for the generation it was computed in. While not listening nothing is cached, so a
 * notification missed during an outage cannot leave a stale answer behind.
 */
export class ChangeFeed {
  generation = 0;
  listening = false;
  private client: pg.Client | null = null;
  private closed = false;
  private retry: NodeJS.Timeout | undefined;

  constructor(
    private readonly databaseUrl: string,
    private readonly log: FastifyBaseLogger,
    /** Wait before listening again after the connection was lost. */
    private readonly retryMs = 1_000,
  ) {}

  start(): Promise<void> {
    return this.connect();
  }

  /** The PostgreSQL backend that listens (diagnostics, tests), null while not connected. */
  get backendPid(): number | null {
    return (this.client as { processID?: number } | null)?.processID ?? null;
  }

  /** A change this process just committed: forget at once, without waiting for its notification. */
  touch(): void {
    this.generation++;
  }

  private async connect(): Promise<void> {
    if (this.closed) return;
    const client = new pg.Client({ connectionString: this.databaseUrl, connectionTimeoutMillis: 5_000 });
    this.client = client;
    const lost = (err?: Error) => {
      if (this.client !== client) return;
      this.client = null;
      this.listening = false;
      this.generation++;
      client.end().catch(() => {});
      if (this.closed) return;
      this.log.warn({ err }, "change feed lost: read caches off until it is back");
      this.retry = setTimeout(() => void this.connect(), this.retryMs).unref();
    };
    client.on("error", lost);
    client.on("end", () => lost());
    client.on("notification", () => {
      this.generation++;
    });
    try {
      await client.connect();
      await client.query(`LISTEN ${CHANGES_CHANNEL}`);
      if (this.client === client) {
        this.generation++;
        this.listening = true;
      }
    } catch (err) {
      lost(err as Error);
    }
  }

  async close(): Promise<void> {
    this.closed = true;
    this.listening = false;
    clearTimeout(this.retry);
    const client = this.client;
    this.client = null;
    await client?.end().catch(() => {});
  }
}

/**
 * Answers remembered while nothing changed (see ChangeFeed), bounded (least recently used out).
 * Concurrent requests for the same key share one load. Values are shared: callers must not modify
 * them. Without a listening feed it only passes loads through.
 */
export class ReadCache<V> {
  private readonly entries = new Map<string, Promise<V>>();
  private generation = -1;

  constructor(
    private readonly feed: ChangeFeed | undefined,
    private readonly max: number,
  ) {}

  get(key: string, load: () => Promise<V>): Promise<V> {
    const feed = this.feed;
    if (!feed?.listening || this.max <= 0) return load();
    if (feed.generation !== this.generation) {
      this.entries.clear();
      this.generation = feed.generation;
    }
    const hit = this.entries.get(key);
    if (hit) {
      this.entries.delete(key);
      this.entries.set(key, hit);
      return hit;
    }
    const generation = this.generation;
    const value = load();
    this.entries.set(key, value);
    const forget = () => {
      if (this.entries.get(key) === value) this.entries.delete(key);
    };
    // A change during the load may or may not be in its answer: keep it only if none came.
    value.then(() => {
      if (feed.generation !== generation) forget();
    }, forget);
    if (this.entries.size > this.max) this.entries.delete(this.entries.keys().next().value!);
    return value;
  }
}
