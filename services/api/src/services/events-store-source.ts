import { type EventStore, openEventStore } from "@mmiohub/event-store";
import type { BlobStore } from "@mmiohub/storage";
import type { PciDevice, TraceBatch } from "@mmiohub/trace";
import type { BatchSource } from "./events-scan";

/** The checkpoint format this API can restore (what the worker writes). */
export const CHECKPOINT_FORMAT = "annotate/AnnotatorState@1";
const READ_EVENTS = 4096;
const OPEN_STORES = 32;

interface WorkerApp {
  devices?: PciDevice[];
}

/**
 * Opened event stores, by blob key: opening reads the trailer, meta and directory, and each store
 * caches its last decoded blocks, so paging through a trace reuses both. Bounded (oldest out).
 */
export class EventStoreCache {
  private readonly open = new Map<string, Promise<EventStore<WorkerApp>>>();

  constructor(private readonly storage: BlobStore) {}

  get(key: string): Promise<EventStore<WorkerApp>> {
    let store = this.open.get(key);
    if (store) {
      this.open.delete(key);
      this.open.set(key, store);
      return store;
    }
    store = (async () => {
      const size = await this.storage.size(key);
      if (size === null) throw new Error(`event store ${key} is missing from storage`);
      const readRange = async (start: number, end: number) =>
        Buffer.concat(await (await this.storage.get(key, { start, end: end - 1 })).toArray());
      return openEventStore<WorkerApp>(readRange, size);
    })();
    store.catch(() => this.open.delete(key));
    this.open.set(key, store);
    if (this.open.size > OPEN_STORES) this.open.delete(this.open.keys().next().value!);
    return store;
  }
}

/** A source over the event store: reads only the blocks of the range, resumes at checkpoints. */
export function storeBatchSource(store: EventStore<WorkerApp>): BatchSource {
  const devices = store.meta.app?.devices ?? [];
  return {
    devices: () => devices,
    close: () => {},
    findTime: (timeUs) => store.findTime(timeUs),
    async checkpoint(n) {
      if (store.meta.checkpointFormat !== CHECKPOINT_FORMAT) return { eventIndex: 0, state: null };
      return (await store.checkpointBefore(n)) ?? { eventIndex: 0, state: null };
    },
    async *batches(start, last): AsyncGenerator<TraceBatch> {
      const end = Math.min(last + 1, store.eventCount);
      for (let s = start; s < end; s += READ_EVENTS)
        yield await store.readEvents(s, Math.min(end, s + READ_EVENTS));
    },
  };
}
