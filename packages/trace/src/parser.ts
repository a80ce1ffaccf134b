// The streaming parser: bytes in (`feed`, chunk boundaries anywhere), batches of events out.
import { BatchBuilder, type TraceBatch } from "./batch";
import { fastAccess } from "./fast-access";
import { EVENT_KIND_NAMES, EventFlag, EventKind, type EventKindName } from "./kinds";
import type { CardIdentity, PciDevice } from "./model-types";
import { publicDevice } from "./pcidev";
import { RecordReader } from "./records";
import { Code, type TraceError } from "./report";
import type { TraceSummary } from "./summary";

const LF = 0x0a;
const CR = 0x0d;

export interface ParserOptions {
  /**
   * Receives each batch of events, in order. Unless `reuseBatches` is set, the batch is the
   * callee's to keep; with it, the arrays are overwritten after the callback returns.
   */
  readonly onBatch: (batch: TraceBatch) => void;
  /** Each unparsable, over-long or truncated line, as it is met. */
  readonly onError?: (error: TraceError) => void;
  /** Events per batch (default 16384). */
  readonly batchSize?: number;
  /** Longest line kept, in bytes (default 65536); longer lines are reported and skipped. */
  readonly maxLineLength?: number;
  /** Markers and lost-event notices kept in the summary (default 10000 each). */
  readonly maxMarkers?: number;
  /** Mappings kept in the summary (default 10000); resolution works past the limit. */
  readonly maxMappings?: number;
  /** Characters of an unparsable line kept in its extra (default 1024). */
  readonly maxRawInvalid?: number;
  readonly reuseBatches?: boolean;
}

export interface TraceParser {
  feed(chunk: Uint8Array): void;
  /** Flushes the last batch and returns the summary. Feed nothing after it. */
  end(): TraceSummary;
  /** The device table so far (complete once the header has been read). */
  devices(): readonly PciDevice[];
  /** Card identities so far. */
  cards(): CardIdentity[];
  /**
   * Hands a batch's memory back for the parser's next batches: call it once you no longer read
   * the batch (its arrays will be overwritten). Optional; it saves allocating each batch anew.
   */
  recycle(batch: TraceBatch): void;
}

export function createParser(options: ParserOptions): TraceParser {
  const maxLine = options.maxLineLength ?? 65536;
  const reader = new RecordReader(
    {
      batchSize: options.batchSize ?? 16384,
      maxMarkers: options.maxMarkers ?? 10000,
      maxMappings: options.maxMappings ?? 10000,
      maxRawInvalid: options.maxRawInvalid ?? 1024,
      reuseBatches: options.reuseBatches ?? false,
    },
    (b) => options.onBatch(b.view()),
    options.onError,
  );
  let carry = new Uint8Array(256);
  let carryLen = 0;
  let carryOffset = 0;
  let skipping = false;
  let lineNo = 0;
  let bytes = 0;
  let ended = false;

  const lineAt = (buf: Uint8Array, s: number, e: number, offset: number, flags: number) => {
    lineNo++;
    if (e > s && buf[e - 1] === CR) {
      e--;
      flags |= EventFlag.CRLF;
    }
    reader.line(buf, s, e, lineNo, offset, flags);
  };

  /** Appends to the partial line; false when it would pass the limit. */
  const append = (chunk: Uint8Array, s: number, e: number): boolean => {
    const n = e - s;
    if (carryLen + n > maxLine + 1) return false; // +1: room for a trailing \r
    if (carryLen + n > carry.length) {
      const bigger = new Uint8Array(Math.min(Math.max(carry.length * 2, carryLen + n), maxLine + 1));
      bigger.set(carry.subarray(0, carryLen));
      carry = bigger;
    }
    carry.set(chunk.subarray(s, e), carryLen);
    carryLen += n;
    return true;
  };

  const startSkipping = () => {
    lineNo++;
    reader.tooLong(lineNo, carryOffset);
    carryLen = 0;
    skipping = true;
  };

  const feed = (chunk: Uint8Array) => {
    if (ended) throw new Error("feed() after end()");
    const len = chunk.length;
    const base = bytes;
    let pos = 0;
    if (skipping) {
      const nl = chunk.indexOf(LF);
      if (nl < 0) {
        bytes += len;
        return;
      }
      skipping = false;
      pos = nl + 1;
    } else if (carryLen > 0) {
      const nl = chunk.indexOf(LF);
      if (nl < 0) {
        if (!append(chunk, 0, len)) startSkipping();
        bytes += len;
        return;
      }
      if (append(chunk, 0, nl)) lineAt(carry, 0, carryLen, carryOffset, 0);
      else {
        lineNo++;
        reader.tooLong(lineNo, carryOffset);
      }
      carryLen = 0;
      pos = nl + 1;
    }
    while (pos < len) {
      const fast = fastAccess(reader, chunk, pos, len, lineNo + 1, base + pos);
      if (fast >= 0) {
        lineNo++;
        pos = fast + 1;
        continue;
      }
      const nl = chunk.indexOf(LF, pos);
      if (nl < 0) break;
      if (nl - pos > maxLine + 1) {
        lineNo++;
        reader.tooLong(lineNo, base + pos);
      } else lineAt(chunk, pos, nl, base + pos, 0);
      pos = nl + 1;
    }
    if (pos < len) {
      carryOffset = base + pos;
      if (!append(chunk, pos, len)) startSkipping();
    }
    bytes += len;
  };

  const end = (): TraceSummary => {
    if (ended) throw new Error("end() called twice");
    ended = true;
    if (carryLen > 0) {
      const line = lineNo + 1;
      lineAt(carry, 0, carryLen, carryOffset, EventFlag.NO_EOL);
      reader.issues.add(Code.TRUNCATED_LAST_LINE, line);
      options.onError?.({
        code: "TRUNCATED_LAST_LINE",
        line,
        byteOffset: carryOffset,
        message: "the last line has no line ending",
      });
      carryLen = 0;
    }
    reader.flush();
    return summarize();
  };

  const summarize = (): TraceSummary => {
    const r = reader;
    const counts = {} as Record<EventKindName, number>;
    EVENT_KIND_NAMES.forEach((name, i) => {
      counts[name] = r.counts[i]!;
    });
    if (r.events === 0) r.issues.add(Code.EMPTY_TRACE, 0);
    else {
      if (r.version === null) r.issues.add(Code.VERSION_MISSING, 0);
      if (r.model.devices.length === 0) r.issues.add(Code.NO_PCIDEV, 0);
    }
    const lostEvents = r.lostMark > 0 ? r.lostMark : r.lostCpu;
    if (r.lostMark === 0 && r.lostCpu > 0) r.issues.counts[Code.LOST_EVENTS] = r.lostCpu;
    const total = r.counts[EventKind.READ]! + r.counts[EventKind.WRITE]! + r.counts[EventKind.UNKNOWN]!;
    return {
      version: r.version,
      events: r.events,
      lines: lineNo,
      bytes,
      counts,
      accesses: { total, resolved: r.resolved, viaMap: r.viaMap, unresolved: total - r.resolved },
      devices: r.model.devices.map(publicDevice),
      mappings: r.model.mappings.map((m) => ({ ...m })),
      cards: r.cards.identities(),
      markers: r.markers,
      lost: { events: lostEvents, reports: r.lost },
      firstTimestamp: r.firstSec < 0 ? null : { sec: r.firstSec, usec: r.firstUsec },
      lastTimestamp: r.firstSec < 0 ? null : r.lastTimestamp(),
      report: r.issues.report(),
    };
  };

  return {
    feed,
    end,
    devices: () => reader.model.devices.map(publicDevice),
    cards: () => reader.cards.identities(),
    recycle: (batch) => {
      const b = BatchBuilder.take(batch);
      if (b !== undefined) reader.recycle(b);
    },
  };
}
