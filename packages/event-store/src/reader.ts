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

/**
 * Bytes [start, end) of the stored event store (end exclusive). `scratch`, when given, is a
 * buffer with room for them that the reader may fill and return a view of (the bytes are used
 * before the scratch is given to another read); a reader may ignore it and return its own.
 */
export type ReadRange = (start: number, end: number, scratch?: Uint8Array) => Promise<Uint8Array>;

export interface Checkpoint {
  /** The state holds before this event. */
  eventIndex: number;
  /** What the writer was given (null: the decoders' initial state). */
  state: unknown;
}

export interface EventStore<App = unknown> {
  readonly meta: EventStoreMeta<App>;
  readonly eventCount: number;
  /** Events [start, end) as one batch of their own (clamped to the trace); `batch.start` = start. */
  readEvents(start: number, end: number): Promise<TraceBatch>;
  /**
   * Events [start, end) (at most `meta.blockEvents` of them, clamped to the trace) copied into
   * `into` (from `newBuffer`), replacing what it held, and returned as a batch that is a view of
   * it: valid until `into` is filled again. A reader that pages through a trace with one buffer
   * allocates nothing per page.
   */
  readEventsInto(start: number, end: number, into: BlockColumns): Promise<TraceBatch>;
  /** A buffer for `readEventsInto` (room for one block of events). */
  newBuffer(): BlockColumns;
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

/**
 * A block in the cache: its stored bytes and decoded columns once read (the first rows only until a
 * reader needs the rest: then all of them, from the bytes kept); who still waits to copy from them.
 */
interface CacheEntry {
  columns: BlockColumns | null;
  bytes: Uint8Array | null;
  /** the read buffer the bytes are in, back to the pool with the entry */
  buffer: Uint8Array | null;
  ready: Promise<void>;
  waiting: number;
  evicted: boolean;
}
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
  // Decoded blocks never leave the cache: readers get copies (readEventsInto). So a block pushed
  // out of the cache is decoded into again (its columns and read buffer recycled) once no reader
  // is still waiting to copy from it; decoding into fresh columns per block was ~300 KB of memory outside the JS
  // heap per page served, and V8 answered with full collections (API pages, in-process, node
  // --trace-gc: 32 in 1000 pages before, none after).
  const cache = new Map<number, CacheEntry>();
  const spare: BlockColumns[] = [];
  const scratch: Uint8Array[] = [];
  /** The block's bytes are no longer needed once all of it is decoded: its read buffer to the pool. */
  const decodedAll = (entry: CacheEntry) => {
    if (entry.buffer && scratch.length < 4) scratch.push(entry.buffer);
    entry.buffer = null;
    entry.bytes = null;
  };
  /** An entry out of the cache and nobody reading it: its columns too. */
  const recycle = (entry: CacheEntry) => {
    decodedAll(entry);
    if (entry.columns && spare.length < 4) spare.push(entry.columns);
    entry.columns = null;
  };
  const load = (i: number, rows: number): CacheEntry => {
    const entry: CacheEntry = {
      columns: null,
      bytes: null,
      buffer: null,
      ready: Promise.resolve(),
      waiting: 0,
      evicted: false,
    };
    const length = bLength[i]!;
    // The block's bytes are decoded as soon as they arrive, and kept (in their read buffer) only
    // while the block is decoded in part.
    let buffer = scratch.pop();
    if (!buffer || buffer.length < length) buffer = new Uint8Array(Math.max(length, 1 << 17));
    entry.buffer = buffer;
    entry.ready = readRange(bOffset[i]!, bOffset[i]! + length, buffer).then((bytes) => {
      if (bytes.length !== length) throw new EventStoreFormatError(`block ${i} is truncated`);
      const c = spare.pop() ?? new BlockColumns(capacity);
      entry.bytes = aligned(bytes);
      const n = decodeBlock(entry.bytes, c, rows);
      if (c.start !== bStart[i] || n !== bCount[i])
        throw new EventStoreFormatError(`block ${i} does not match the directory`);
      entry.columns = c;
      if (c.length === n) decodedAll(entry);
    });
    entry.ready.catch(() => {
      if (cache.get(i) === entry) cache.delete(i);
    });
    return entry;
  };
  const block = (i: number, rows: number): CacheEntry => {
    let entry = cache.get(i);
    if (entry) {
      cache.delete(i);
      cache.set(i, entry);
      return entry;
    }
    entry = load(i, rows);
    cache.set(i, entry);
    while (cache.size > cacheSize) {
      const oldest = cache.keys().next().value as number;
      const out = cache.get(oldest)!;
      cache.delete(oldest);
      out.evicted = true;
      if (out.waiting === 0 && out.columns) recycle(out);
    }
    return entry;
  };
  /**
   * Runs `use` on the decoded columns of block `i`, with at least its first `rows` rows: at once
   * when decoded, else once it is. `use` is synchronous and keeps nothing of them (the columns are
   * recycled once the block has left the cache and nobody waits on it).
   */
  const withBlock = async <T>(i: number, rows: number, use: (c: BlockColumns) => T): Promise<T> => {
    const entry = block(i, rows);
    if (!entry.columns) {
      entry.waiting++;
      try {
        await entry.ready;
      } finally {
        entry.waiting--;
      }
    }
    const c = entry.columns!;
    // Decoded in part: all of it now (the next page of the same block will want the rest too).
    if (c.length < Math.min(rows, bCount[i]!)) {
      decodeBlock(entry.bytes!, c);
      decodedAll(entry);
    }
    const value = use(c);
    if (entry.evicted && entry.waiting === 0) recycle(entry);
    return value;
  };
  /** Copies rows [from, to) of the trace held by block `i` into `into`. */
  const copyFrom = (i: number, from: number, to: number, into: BlockColumns) =>
    withBlock(i, to - bStart[i]!, (c) =>
      into.append(c, Math.max(from, c.start) - c.start, Math.min(to, c.start + c.length) - c.start),
    );
  const blockOf = (event: number) => Math.min(blockCount - 1, Math.floor(event / capacity));
  const clamp = (start: number, end: number): [number, number] => {
    start = Math.max(0, Math.min(Math.floor(start), eventCount));
    return [start, Math.max(start, Math.min(Math.floor(end), eventCount))];
  };
  const readEventsInto = async (first: number, last: number, into: BlockColumns): Promise<TraceBatch> => {
    const [start, end] = clamp(first, last);
    if (end - start > into.capacity)
      throw new RangeError(`${end - start} events do not fit a buffer of ${into.capacity}`);
    into.reset();
    into.start = start;
    for (let b = blockOf(start); start < end && b <= blockOf(end - 1); b++)
      await copyFrom(b, start, end, into);
    return into.view();
  };

  return {
    meta,
    eventCount,
    newBuffer: () => new BlockColumns(capacity),
    readEventsInto,
    async readEvents(first, last) {
      const [start, end] = clamp(first, last);
      return readEventsInto(start, end, new BlockColumns(Math.max(1, end - start)));
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
      return withBlock(lo, bCount[lo]!, (c) => {
        for (let i = 0; i < c.length; i++) {
          const t = c.sec[i]! * 1e6 + c.usec[i]!;
          if (t !== 0 && t >= timeUs) return c.start + i;
        }
        return c.start + c.length; // not reached: the directory says this block has one
      });
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
