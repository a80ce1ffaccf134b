import { type BlockColumns, type EventStore, openEventStore } from "@mmiohub/event-store";
import { BlobNotFoundError, type BlobReader, type BlobStore } from "@mmiohub/storage";
import type { PciDevice, TraceBatch } from "@mmiohub/trace";
import type { BatchSource } from "./events-scan";

/** The checkpoint format this API can restore (what the worker writes). */
export const CHECKPOINT_FORMAT = "annotate/AnnotatorState@1";
const READ_EVENTS = 4096;
const OPEN_STORES = 32;

interface WorkerApp {
  devices?: PciDevice[];
}

interface OpenStore {
  store: EventStore<WorkerApp>;
  reader: BlobReader;
  /** sources reading it now */
  users: number;
  /** out of the cache: its blob is closed once the last source is done */
  evicted: boolean;
}

/** Out of the cache: its blob is closed once no source reads it (now, or at the last release). */
function retire(o: OpenStore): void {
  o.evicted = true;
  if (o.users === 0) void o.reader.close().catch(() => {});
}

/** A store opened for one source, given back (`release`) when the source is done with it. */
export interface StoreLease {
  store: EventStore<WorkerApp>;
  release(): void;
}

/**
 * Opened event stores, by blob key: opening reads the trailer, meta and directory, and each store
 * caches its last decoded blocks, so paging through a trace reuses both. Each keeps its blob open
 * (a BlobReader: positional reads, no open and stream per block or checkpoint). Bounded, oldest
 * out; an evicted store's blob is closed as soon as no source reads it any more, and every blob
 * when the cache is closed (the app's close, after its requests).
 */
export class EventStoreCache {
  private readonly open = new Map<string, Promise<OpenStore>>();

  constructor(
    private readonly storage: BlobStore,
    private readonly max = OPEN_STORES,
  ) {}

  async get(key: string): Promise<StoreLease> {
    let entry = this.open.get(key);
    if (entry) {
      this.open.delete(key);
      this.open.set(key, entry);
    } else {
      const loading = this.load(key);
      entry = loading;
      entry.catch(() => {
        if (this.open.get(key) === loading) this.open.delete(key);
      });
      this.open.set(key, entry);
      if (this.open.size > this.max) {
        const oldest = this.open.keys().next().value!;
        const evicted = this.open.get(oldest)!;
        this.open.delete(oldest);
        evicted.then(retire, () => {});
      }
    }
    const o = await entry;
    o.users++;
    let released = false;
    return {
      store: o.store,
      release: () => {
        if (released) return;
        released = true;
        o.users--;
        if (o.evicted) retire(o);
      },
    };
  }

  /** Closes the blobs of the stores still cached (an evicted one closes when its last source is done). */
  async close(): Promise<void> {
    const all = [...this.open.values()];
    this.open.clear();
    for (const entry of all)
      await entry.then(
        (o) => {
          o.evicted = true;
          return o.reader.close().catch(() => {});
        },
        () => {},
      );
  }

  private async load(key: string): Promise<OpenStore> {
    const reader = await this.storage.openReader(key).catch((err) => {
      if (err instanceof BlobNotFoundError) throw new Error(`event store ${key} is missing from storage`);
      throw err;
    });
    try {
      const store = await openEventStore<WorkerApp>(
        (start, end, scratch) => reader.read(start, end, scratch),
        reader.size,
      );
      return { store, reader, users: 0, evicted: false };
    } catch (err) {
      await reader.close().catch(() => {});
      throw err;
    }
  }
}

/**
 * Buffers the sources read events into, by capacity (events per block), kept for the next request:
 * one per request being served, so paging allocates no columns (see readEventsInto).
 */
const buffers = new Map<number, BlockColumns[]>();

/**
 * A source over the event store: reads only the blocks of the range, resumes at checkpoints. Its
 * batches share one buffer: each is valid until the next is asked for (every reader here is done
 * with a batch before it asks for the next).
 */
export function storeBatchSource({ store, release }: StoreLease): BatchSource {
  const devices = store.meta.app?.devices ?? [];
  const capacity = store.meta.blockEvents || READ_EVENTS;
  const pool = buffers.get(capacity) ?? [];
  buffers.set(capacity, pool);
  let buffer: BlockColumns | undefined;
  return {
    devices: () => devices,
    close: () => {
      if (buffer && pool.length < 16) pool.push(buffer);
      buffer = undefined;
      release();
    },
    findTime: (timeUs) => store.findTime(timeUs),
    async checkpoint(n) {
      if (store.meta.checkpointFormat !== CHECKPOINT_FORMAT) return { eventIndex: 0, state: null };
      return (await store.checkpointBefore(n)) ?? { eventIndex: 0, state: null };
    },
    async *batches(start, last): AsyncGenerator<TraceBatch> {
      const end = Math.min(last + 1, store.eventCount);
      buffer ??= pool.pop() ?? store.newBuffer();
      // Batches end at block boundaries: each is one block's rows or fewer.
      for (let s = start; s < end; s = (Math.floor(s / capacity) + 1) * capacity)
        yield await store.readEventsInto(s, Math.min(end, (Math.floor(s / capacity) + 1) * capacity), buffer);
    },
  };
}
