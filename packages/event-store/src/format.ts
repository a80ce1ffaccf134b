// The stored layout, in one place. Everything is little-endian.
//
//   header   32 bytes   MAGIC, format version, header length
//   blocks and checkpoints, in event order (each block: BLOCK_EVENTS events, columnar)
//   meta     JSON       (see EventStoreMeta)
//   directory           one entry per block and per checkpoint (binary, fixed width)
//   trailer  48 bytes   TRAILER_MAGIC, format version, where meta and directory are
//
// The trailer sits at the end because the writer streams: it never seeks back. A reader needs
// the total size, reads the trailer, then the meta and the directory, then only the blocks it is
// asked for.

export const MAGIC = "MMIOEVS\0";
export const TRAILER_MAGIC = "MMIOEVT\0";
/** Bumped on any change a reader of the previous version could misread. */
export const FORMAT_VERSION = 1;
export const HEADER_BYTES = 32;
export const TRAILER_BYTES = 48;

/** Directory entry of a block: offset f64, length u32, count u32, firstEvent f64, minTime f64, maxTime f64. */
export const BLOCK_ENTRY_BYTES = 40;
/** Directory entry of a checkpoint: eventIndex f64, offset f64, length u32, pad u32. */
export const CHECKPOINT_ENTRY_BYTES = 24;

/** Block flag: offsetLo = addrLo - (a base per device and BAR, listed once in the block). */
export const BLOCK_OFFSETS_BY_BAR = 4;
/** Block flag: timestamps are stored as separate sec/usec columns (some usec was >= 1e6). */
export const BLOCK_SPLIT_TIME = 2;

/** Block body codecs. */
export const CODEC_NONE = 0;
export const CODEC_DEFLATE = 1;

export const LITTLE_ENDIAN = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;

export class EventStoreFormatError extends Error {
  readonly code = "EVENT_STORE_FORMAT";
  constructor(message: string) {
    super(message);
    this.name = "EventStoreFormatError";
  }
}

/** What `finish()` writes and `openEventStore()` gives back as `store.meta`. */
export interface EventStoreMeta<App = unknown> {
  formatVersion: number;
  eventCount: number;
  blockEvents: number;
  blockCount: number;
  /** Events between checkpoints (0: none were taken). */
  checkpointInterval: number;
  /** Names what the checkpoints hold and in which version, e.g. "annotate/AnnotatorState@1"; null: none. */
  checkpointFormat: string | null;
  checkpointCount: number;
  /** Timestamps in microseconds (sec * 1e6 + usec) of the first and last timed events, or null. */
  firstTimeUs: number | null;
  lastTimeUs: number | null;
  /** Whatever the producer adds (device table, parser version, ...). */
  app: App;
}
