import type { TraceBatch } from "@mmiohub/trace";
import { BlockColumns, encodeBlock } from "./block";
import { ByteWriter } from "./bytes";
import {
  CODEC_NONE,
  type EventStoreMeta,
  FORMAT_VERSION,
  HEADER_BYTES,
  LITTLE_ENDIAN,
  MAGIC,
  TRAILER_BYTES,
  TRAILER_MAGIC,
} from "./format";

export interface EventStoreWriterOptions {
  /** Events per block: the unit of reading (default 4096). */
  blockEvents?: number;
  /**
   * Take a checkpoint every this many events (a multiple of blockEvents; default 16 blocks);
   * 0 = none. The caller provides each one with `checkpoint()` when `nextCheckpoint` is reached.
   */
  checkpointInterval?: number;
  /** What the checkpoints hold, with a version: "annotate/AnnotatorState@1". */
  checkpointFormat?: string | null;
}

export interface EventStoreWriter {
  /**
   * Event number at which the next checkpoint is due (state before that event), or Infinity.
   * Before adding events past it, call `checkpoint(nextCheckpoint, state)`.
   */
  readonly nextCheckpoint: number;
  /** Events added so far. */
  readonly events: number;
  /** Adds rows [from, to) of a batch (events must come in order, without gaps). Returns bytes to write. */
  add(batch: TraceBatch, from?: number, to?: number): Uint8Array[];
  /** Stores a checkpoint: the state of the caller's decoders before event `eventIndex`. */
  checkpoint(eventIndex: number, state: unknown): Uint8Array[];
  /** Flushes the last block and writes meta, directory and trailer. */
  finish<App>(app: App): { chunks: Uint8Array[]; meta: EventStoreMeta<App> };
}

const encoder = new TextEncoder();

/**
 * Turns a trace's batches into the event store's bytes, chunk by chunk, in order: write every
 * returned chunk to the blob in sequence. Memory stays at one block plus the directory (about 40
 * bytes per block of events), whatever the trace's size. Pure: no I/O.
 */
export function createEventStoreWriter(options: EventStoreWriterOptions = {}): EventStoreWriter {
  if (!LITTLE_ENDIAN) throw new Error("the event store is written on little-endian machines only");
  const blockEvents = options.blockEvents ?? 4096;
  const interval = options.checkpointInterval ?? blockEvents * 16;
  if (!Number.isInteger(blockEvents) || blockEvents < 1 || blockEvents > 1 << 20)
    throw new RangeError("blockEvents must be an integer in 1..2^20");
  if (interval !== 0 && (interval % blockEvents !== 0 || interval < blockEvents))
    throw new RangeError("checkpointInterval must be a multiple of blockEvents (or 0)");
  const columns = new BlockColumns(blockEvents);
  const scratch = new ByteWriter(blockEvents * 24);
  const blocks = new ByteWriter(1 << 12);
  const checkpoints = new ByteWriter(1 << 10);
  let blockCount = 0;
  let checkpointCount = 0;
  let offset = 0;
  let events = 0;
  let nextCheckpoint = interval > 0 ? 0 : Number.POSITIVE_INFINITY;
  let firstTime: number | null = null;
  let lastTime: number | null = null;

  const header = new ByteWriter(HEADER_BYTES);
  header.bytes(encoder.encode(MAGIC));
  header.u32(FORMAT_VERSION);
  header.u32(HEADER_BYTES);
  header.u32(CODEC_NONE);
  header.align8();
  while (header.pos < HEADER_BYTES) header.u8(0);
  const pending: Uint8Array[] = [header.take()];
  offset = HEADER_BYTES;

  const emit = (bytes: Uint8Array) => {
    pending.push(bytes);
    offset += bytes.length;
  };
  const drain = () => pending.splice(0);

  const flushBlock = () => {
    if (columns.length === 0) return;
    const start = columns.start;
    const count = columns.length;
    const enc = encodeBlock(columns, scratch);
    blocks.f64(offset);
    blocks.u32(enc.bytes.length);
    blocks.u32(count);
    blocks.f64(start);
    blocks.f64(enc.minTime);
    blocks.f64(enc.maxTime);
    blockCount++;
    emit(enc.bytes);
    if (enc.maxTime >= 0) {
      // first/last in event order: the first timed event of the first block that has one
      if (firstTime === null) {
        for (let i = 0; i < count; i++) {
          const t = columns.time[i]!;
          if (t !== 0) {
            firstTime = t;
            break;
          }
        }
      }
      for (let i = count - 1; i >= 0; i--) {
        const t = columns.time[i]!;
        if (t !== 0) {
          lastTime = t;
          break;
        }
      }
    }
    columns.reset();
  };

  return {
    get nextCheckpoint() {
      return nextCheckpoint;
    },
    get events() {
      return events;
    },
    add(batch, from = 0, to = batch.length) {
      if (batch.start + from !== events)
        throw new RangeError(`expected event ${events} next, got ${batch.start + from}`);
      if (events + (to - from) > nextCheckpoint)
        throw new RangeError(`checkpoint for event ${nextCheckpoint} is due before adding more events`);
      let i = from;
      while (i < to) {
        i += columns.append(batch, i, to);
        if (columns.length === blockEvents) flushBlock();
      }
      events += to - from;
      return drain();
    },
    checkpoint(eventIndex, state) {
      if (eventIndex !== nextCheckpoint || eventIndex !== events)
        throw new RangeError(
          `checkpoint at ${eventIndex}: expected one at ${nextCheckpoint} after ${events} events`,
        );
      const bytes = encoder.encode(JSON.stringify(state));
      checkpoints.f64(eventIndex);
      checkpoints.f64(offset);
      checkpoints.u32(bytes.length);
      checkpoints.u32(0);
      checkpointCount++;
      // pad to 8 so the next block stays aligned
      const padded = new Uint8Array((bytes.length + 7) & ~7);
      padded.set(bytes);
      emit(padded);
      nextCheckpoint += interval;
      return drain();
    },
    finish<App>(app: App) {
      flushBlock();
      const meta: EventStoreMeta<App> = {
        formatVersion: FORMAT_VERSION,
        eventCount: events,
        blockEvents,
        blockCount,
        checkpointInterval: interval,
        checkpointFormat: interval > 0 ? (options.checkpointFormat ?? null) : null,
        checkpointCount,
        firstTimeUs: firstTime,
        lastTimeUs: lastTime,
        app,
      };
      const metaBytes = encoder.encode(JSON.stringify(meta));
      const metaOffset = offset;
      emit(metaBytes);
      const dir = new ByteWriter(16 + blocks.pos + checkpoints.pos);
      dir.u32(blockCount);
      dir.u32(checkpointCount);
      dir.bytes(blocks.buf.subarray(0, blocks.pos));
      dir.bytes(checkpoints.buf.subarray(0, checkpoints.pos));
      const dirBytes = dir.take();
      const dirOffset = offset;
      emit(dirBytes);
      const trailer = new ByteWriter(TRAILER_BYTES);
      trailer.bytes(encoder.encode(TRAILER_MAGIC));
      trailer.u32(FORMAT_VERSION);
      trailer.u32(0);
      trailer.f64(metaOffset);
      trailer.f64(metaBytes.length);
      trailer.f64(dirOffset);
      trailer.f64(dirBytes.length);
      emit(trailer.take());
      return { chunks: drain(), meta };
    },
  };
}
