import type { TraceBatch } from "@mmiohub/trace";
import { BlockColumns, decodeBlock } from "./block";
import { aligned, ByteReader } from "./bytes";
import {
  EventStoreFormatError,
  type EventStoreMeta,
  FORMAT_VERSION,
  LITTLE_ENDIAN,
  MAGIC,
  TRAILER_BYTES,
  TRAILER_MAGIC,
} from "./format";

/** Bytes [start, end) of the stored event store (end exclusive). */
export type ReadRange = (start: number, end: number) => Promise<Uint8Array>;

export interface Checkpoint {
  /** The state holds before this event. */
  eventIndex: number;
  /** What the writer was given (null: the decoders' initial state). */
  state: unknown;
}

export interface EventStore<App = unknown> {
  readonly meta: EventStoreMeta<App>;
  readonly eventCount: number;
  /**
   * Events [start, end) as one batch (clamped to the trace); `batch.start` = start. The batch may
   * share its columns with the store's block cache: read it, never write it.
   */
  readEvents(start: number, end: number): Promise<TraceBatch>;
  /**
   * Number of the first event (in event order) whose timestamp is at or after `timeUs`
   * (sec * 1e6 + usec); events without a timestamp (headers, lost-event notices) are skipped.
   * `eventCount` when there is none.
   */
  findTime(timeUs: number): Promise<number>;
  /** The checkpoint nearest at or before `eventIndex`, or null when the store has none. */
  checkpointBefore(eventIndex: number): Promise<Checkpoint | null>;
}

const decoder = new TextDecoder();
const enc = new TextEncoder();

function magicAt(b: Uint8Array, at: number, magic: string): boolean {
  const m = enc.encode(magic);
  for (let i = 0; i < m.length; i++) if (b[at + i] !== m[i]) return false;
  return true;
}

/**
 * Opens a stored event store through `readRange` (a blob range read, a file read, a Buffer
 * slice): reads the trailer, meta and directory (a few KB per million events), then only the
 * blocks asked for, so event 49,999,000 costs what event 0 costs. Decoded blocks are cached
 * (`cacheBlocks`, default 8).
 */
export async function openEventStore<App = unknown>(
  readRange: ReadRange,
  size: number,
  options: { cacheBlocks?: number } = {},
): Promise<EventStore<App>> {
  if (!LITTLE_ENDIAN) throw new Error("the event store is read on little-endian machines only");
  if (size < TRAILER_BYTES + 32) throw new EventStoreFormatError("not an event store (too short)");
  const trailer = aligned(await readRange(size - TRAILER_BYTES, size));
  if (trailer.length !== TRAILER_BYTES || !magicAt(trailer, 0, TRAILER_MAGIC))
    throw new EventStoreFormatError("not an event store (no trailer)");
  const t = new ByteReader(trailer);
  t.bytes(8);
  const version = t.u32();
  if (version > FORMAT_VERSION)
    throw new EventStoreFormatError(
      `event store format ${version} is newer than this reader (${FORMAT_VERSION})`,
    );
  t.u32();
  const metaOffset = t.f64();
  const metaLength = t.f64();
  const dirOffset = t.f64();
  const dirLength = t.f64();
  if (metaOffset + metaLength > size || dirOffset + dirLength > size - TRAILER_BYTES)
    throw new EventStoreFormatError("event store trailer points outside the file");
  const head = await readRange(0, 8);
  if (!magicAt(head, 0, MAGIC)) throw new EventStoreFormatError("not an event store (bad magic)");
  const meta = JSON.parse(
    decoder.decode(await readRange(metaOffset, metaOffset + metaLength)),
  ) as EventStoreMeta<App>;
  const d = new ByteReader(aligned(await readRange(dirOffset, dirOffset + dirLength)));
  const blockCount = d.u32();
  const checkpointCount = d.u32();
  const bOffset = new Float64Array(blockCount);
  const bLength = new Uint32Array(blockCount);
  const bCount = new Uint32Array(blockCount);
  const bStart = new Float64Array(blockCount);
  // running maximum of the blocks' latest timestamps: non-decreasing, so searchable
  const bMaxSoFar = new Float64Array(blockCount);
  let running = -1;
  for (let i = 0; i < blockCount; i++) {
    bOffset[i] = d.f64();
    bLength[i] = d.u32();
    bCount[i] = d.u32();
    bStart[i] = d.f64();
    d.f64(); // minTime
    running = Math.max(running, d.f64());
    bMaxSoFar[i] = running;
  }
  const cIndex = new Float64Array(checkpointCount);
  const cOffset = new Float64Array(checkpointCount);
  const cLength = new Uint32Array(checkpointCount);
  for (let i = 0; i < checkpointCount; i++) {
    cIndex[i] = d.f64();
    cOffset[i] = d.f64();
    cLength[i] = d.u32();
    d.u32();
  }
  const eventCount = meta.eventCount;
  const capacity = meta.blockEvents;

  const cacheSize = Math.max(1, options.cacheBlocks ?? 8);
  const cache = new Map<number, Promise<BlockColumns>>();
  const block = (i: number): Promise<BlockColumns> => {
    const hit = cache.get(i);
    if (hit) {
      cache.delete(i);
      cache.set(i, hit);
      return hit;
    }
    const p = readRange(bOffset[i]!, bOffset[i]! + bLength[i]!).then((bytes) => {
      if (bytes.length !== bLength[i]) throw new EventStoreFormatError(`block ${i} is truncated`);
      const c = new BlockColumns(capacity);
      decodeBlock(aligned(bytes), c);
      if (c.start !== bStart[i] || c.length !== bCount[i])
        throw new EventStoreFormatError(`block ${i} does not match the directory`);
      return c;
    });
    p.catch(() => cache.delete(i));
    cache.set(i, p);
    while (cache.size > cacheSize) cache.delete(cache.keys().next().value as number);
    return p;
  };
  const blockOf = (event: number) => Math.min(blockCount - 1, Math.floor(event / capacity));

  return {
    meta,
    eventCount,
    async readEvents(start, end) {
      start = Math.max(0, Math.min(Math.floor(start), eventCount));
      end = Math.max(start, Math.min(Math.floor(end), eventCount));
      if (end === start) {
        const empty = new BlockColumns(1);
        empty.start = start;
        return empty.view(0, 0);
      }
      const first = blockOf(start);
      const last = blockOf(end - 1);
      if (first === last) {
        // Inside one block: a view of the cached block, no copy (read-only, as every batch is).
        const c = await block(first);
        return c.view(start - c.start, end - c.start);
      }
      const out = new BlockColumns(end - start);
      out.start = start;
      const loaded = await Promise.all(Array.from({ length: last - first + 1 }, (_, k) => block(first + k)));
      for (const c of loaded) {
        const from = Math.max(start, c.start) - c.start;
        const to = Math.min(end, c.start + c.length) - c.start;
        out.append(c.view(from, to), 0, to - from);
      }
      return out.view();
    },
    async findTime(timeUs) {
      let lo = 0;
      let hi = blockCount;
      while (lo < hi) {
        const mid = (lo + hi) >>> 1;
        if (bMaxSoFar[mid]! >= timeUs) hi = mid;
        else lo = mid + 1;
      }
      if (lo === blockCount) return eventCount;
      const c = await block(lo);
      for (let i = 0; i < c.length; i++) {
        const t = c.sec[i]! * 1e6 + c.usec[i]!;
        if (t !== 0 && t >= timeUs) return c.start + i;
      }
      return c.start + c.length; // not reached: the directory says this block has one
    },
    async checkpointBefore(eventIndex) {
      let lo = 0;
      let hi = checkpointCount;
      while (lo < hi) {
        const mid = (lo + hi) >>> 1;
        if (cIndex[mid]! <= eventIndex) lo = mid + 1;
        else hi = mid;
      }
      if (lo === 0) return null;
      const i = lo - 1;
      const bytes = await readRange(cOffset[i]!, cOffset[i]! + cLength[i]!);
      return { eventIndex: cIndex[i]!, state: JSON.parse(decoder.decode(bytes)) as unknown };
    },
  };
}
