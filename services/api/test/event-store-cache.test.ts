import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Readable } from "node:stream";
import { createEventStoreWriter } from "@mmiohub/event-store";
import { type BlobStore, LocalBlobStore } from "@mmiohub/storage";
import { afterAll, describe, expect, it } from "vitest";
import { EventStoreCache } from "../src/services/events-store-source";
import { parseAll, sample } from "./web-fixtures";

const dir = mkdtempSync(join(tmpdir(), "mmiohub-store-cache-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** One real event store in a local blob store; every key opens it, and each close is recorded. */
async function storage(): Promise<{ storage: BlobStore; closed: string[] }> {
  const { batches, summary } = parseAll(sample("gk107_hand.mmiotrace"));
  const w = createEventStoreWriter({ blockEvents: 16, checkpointInterval: 0 });
  const chunks: Uint8Array[] = [];
  for (const b of batches) chunks.push(...w.add(b, 0, b.length));
  chunks.push(...w.finish({ devices: summary.devices }).chunks);
  const real = new LocalBlobStore(dir);
  const { key } = await real.put(Readable.from(chunks.map((c) => Buffer.from(c))));
  const closed: string[] = [];
  const wrapped = {
    async openReader(name: string) {
      const r = await real.openReader(key);
      return {
        size: r.size,
        read: (start: number, end: number, scratch?: Uint8Array) => r.read(start, end, scratch),
        close: async () => {
          closed.push(name);
          await r.close();
        },
      };
    },
  };
  return { storage: wrapped as unknown as BlobStore, closed };
}

const tick = () => new Promise((r) => setTimeout(r, 10));

describe("EventStoreCache", () => {
  it("closes an evicted store's blob once its last reader is done, and every blob on close", async () => {
    const { storage: blobs, closed } = await storage();
    const cache = new EventStoreCache(blobs, 2);
    const a = await cache.get("a");
    // A second source of "a": the same store, a lease of its own.
    const a2 = await cache.get("a");
    expect(a2.store).toBe(a.store);
    const b = await cache.get("b");
    // "c" pushes "a" out while a source still reads it: its blob stays open for that source.
    const c = await cache.get("c");
    await tick();
    expect(closed).toEqual([]);
    const page = await a.store.readEvents(0, 5);
    expect(page.length).toBe(5);
    a.release();
    a.release(); // a source closed twice gives its lease back once: a2 still reads "a"
    await tick();
    expect(closed).toEqual([]);
    expect((await a2.store.readEvents(5, 10)).length).toBe(5);
    a2.release();
    await tick();
    expect(closed).toEqual(["a"]);
    // "b", read by nobody when "d" pushes it out, is closed at once.
    b.release();
    const d = await cache.get("d");
    await tick();
    expect(closed).toEqual(["a", "b"]);
    // A store still cached is shared: two leases, one blob.
    const again = await cache.get("d");
    expect(again.store).toBe(d.store);
    c.release();
    d.release();
    again.release();
    await cache.close();
    expect(closed.sort()).toEqual(["a", "b", "c", "d"]);
  });
});
