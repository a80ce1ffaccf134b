// Turns one line into one event row: the R/W fast path inline, every rarer record in its own
// method. Resolution, identity and validation happen here too, so a trace is read once.
import { BatchBuilder } from "./batch";
import { CardTracker } from "./cards";
import { EventFlag, EventKind } from "./kinds";
import { TraceModel } from "./model";
import type { LostReport, Marker } from "./model-types";
import { parseRare } from "./rare-records";
import { Code, IssueCounter, issueMessage, type TraceError } from "./report";
import { Scanner, SP } from "./scanner";

const R = 0x52;
const W = 0x57;
const TWO32 = 4294967296;

const C_UNKNOWN_MAP_ID = Code.UNKNOWN_MAP_ID;
const C_OUTSIDE = Code.ACCESS_OUTSIDE_BARS;
const C_BACKWARDS = Code.TIMESTAMP_BACKWARDS;

export interface RecordLimits {
  readonly batchSize: number;
  readonly maxMarkers: number;
  readonly maxMappings: number;
  readonly maxRawInvalid: number;
  readonly reuseBatches: boolean;
}

export class RecordReader {
  readonly model: TraceModel;
  readonly cards = new CardTracker();
  readonly issues = new IssueCounter();
  readonly counts = new Float64Array(12);
  readonly markers: Marker[] = [];
  readonly lost: LostReport[] = [];
  lostMark = 0;
  lostCpu = 0;
  version: string | null = null;
  events = 0;
  resolved = 0;
  viaMap = 0;
  firstSec = -1;
  firstUsec = 0;
  lastSec = 0;
  lastUsec = 0;
  /** The batch being filled (read by the fast path in fast-access.ts). */
  b: BatchBuilder;
  /** Last resolution through a mapping: accesses with this map id in [cStart, cEnd) resolve alike. */
  cMapId = Number.NaN;
  cGen = -1;
  cStart = 0;
  cEnd = 0;
  cDev = -1;
  cBar = -1;
  cBarStart = 0;
  private readonly sc = new Scanner();
  /** Builders handed back through `recycle`, used before allocating new ones. */
  private readonly pool: BatchBuilder[] = [];
  private recycleCurrent = false;
  private readonly utf8 = new TextDecoder();

  constructor(
    readonly limits: RecordLimits,
    private readonly onBatch: (b: BatchBuilder) => void,
    private readonly onError: ((e: TraceError) => void) | undefined,
  ) {
    this.model = new TraceModel(limits);
    this.b = new BatchBuilder(limits.batchSize);
  }

  /** One line, `e` excluding the line ending; `flags` carries CRLF / NO_EOL / TOO_LONG. */
  line(buf: Uint8Array, s: number, e: number, lineNo: number, offset: number, flags: number): void {
    const b = this.b;
    const row = b.length;
    b.line[row] = lineNo;
    b.byteOffset[row] = offset;
    b.extra[row] = -1;
    const c0 = buf[s];
    const sc = this.sc;
    if ((c0 === R || c0 === W) && buf[s + 1] === SP && s + 4 < e && buf[s + 3] === SP) {
      const width = buf[s + 2]! - 0x30;
      sc.reset(buf, s + 4, e);
      if (
        (width === 4 || width === 1 || width === 2 || width === 8) &&
        sc.timestamp() &&
        sc.space() &&
        sc.i32()
      ) {
        const mapId = sc.lo;
        const sec = sc.sec;
        const usec = sc.usec;
        if (sc.space() && sc.hex64(true)) {
          const aLo = sc.lo;
          const aHi = sc.hi;
          if (sc.space() && sc.hex64(true)) {
            const vLo = sc.lo;
            const vHi = sc.hi;
            if (sc.space() && sc.hex64(true)) {
              const pLo = sc.lo;
              const pHi = sc.hi;
              if (sc.space() && sc.i32() && sc.atEnd()) {
                const kind = c0 === R ? EventKind.READ : EventKind.WRITE;
                b.kind[row] = kind;
                b.width[row] = width;
                b.sec[row] = sec;
                b.usec[row] = usec;
                b.mapId[row] = mapId;
                b.addrLo[row] = aLo;
                b.addrHi[row] = aHi;
                b.valueLo[row] = vLo;
                b.valueHi[row] = vHi;
                b.pcLo[row] = pLo;
                b.pcHi[row] = pHi;
                b.pid[row] = sc.lo;
                this.time(sec, usec, lineNo);
                flags |= this.access(row, mapId, aLo, aHi, lineNo);
                if (kind === EventKind.READ && b.bar[row] === 0 && width === 4 && b.offsetHi[row] === 0) {
                  const off = b.offsetLo[row]!;
                  if (off === 0 || off === 0xa00) this.cards.read(b.device[row]!, off, vLo);
                }
                b.flags[row] = flags;
                if (sc.odd) b.addExtra(row, null, this.text(buf, s, e));
                this.counts[kind]!++;
                this.commit();
                return;
              }
            }
          }
        }
      }
    } else if (parseRare(this, this.sc, buf, s, e, row, lineNo)) {
      b.flags[row] = flags | b.flags[row]!;
      this.counts[b.kind[row]!]!++;
      this.commit();
      return;
    }
    this.invalid(buf, s, e, row, lineNo, offset, flags);
  }

  /** A line whose bytes were not kept (over the length limit). */
  tooLong(lineNo: number, offset: number): void {
    const b = this.b;
    const row = b.length;
    b.line[row] = lineNo;
    b.byteOffset[row] = offset;
    b.extra[row] = -1;
    this.clear(row, EventKind.INVALID);
    b.flags[row] = EventFlag.TOO_LONG;
    this.counts[EventKind.INVALID]!++;
    this.error(Code.LINE_TOO_LONG, "LINE_TOO_LONG", lineNo, offset);
    this.commit();
  }

  lastTimestamp(): { sec: number; usec: number } {
    return { sec: this.lastSec, usec: this.lastUsec };
  }

  /** Emits the rows collected so far. */
  flush(): void {
    if (this.b.length === 0) return;
    this.onBatch(this.b);
    const start = this.events;
    if (this.limits.reuseBatches || this.recycleCurrent) {
      this.recycleCurrent = false;
      this.b.length = 0;
      this.b.extras = [];
    } else this.b = this.pool.pop() ?? new BatchBuilder(this.limits.batchSize);
    this.b.start = start;
  }

  /** Takes back a builder whose batch the consumer no longer needs (see TraceParser.recycle). */
  recycle(builder: BatchBuilder): void {
    if (builder === this.b) {
      // Recycled from inside onBatch: the batch being emitted is refilled right away.
      this.recycleCurrent = true;
      return;
    }
    if (this.pool.length >= 4 || this.pool.includes(builder)) return;
    builder.length = 0;
    builder.extras = [];
    this.pool.push(builder);
  }

  commit(): void {
    this.events++;
    if (++this.b.length === this.b.capacity) this.flush();
  }

  time(sec: number, usec: number, lineNo: number): void {
    if (sec < this.lastSec || (sec === this.lastSec && usec < this.lastUsec)) {
      this.issues.add(C_BACKWARDS, lineNo);
    } else if (this.firstSec < 0) {
      this.firstSec = sec;
      this.firstUsec = usec;
    }
    this.lastSec = sec;
    this.lastUsec = usec;
  }

  /** Resolves an access into the row's device/bar/offset columns; returns flag bits. */
  access(row: number, mapId: number, aLo: number, aHi: number, lineNo: number): number {
    const m = this.model;
    const b = this.b;
    m.resolve(mapId, aLo, aHi);
    if (m.unknownMap) this.issues.add(C_UNKNOWN_MAP_ID, lineNo);
    const dev = m.device;
    b.device[row] = dev;
    b.bar[row] = m.bar;
    const off = m.offset;
    if (dev < 0) {
      this.issues.add(C_OUTSIDE, lineNo);
      b.offsetLo[row] = 0;
      b.offsetHi[row] = 0;
      return 0;
    }
    this.resolved++;
    this.cards.count(dev);
    if (off < TWO32) {
      b.offsetLo[row] = off;
      b.offsetHi[row] = 0;
    } else {
      b.offsetLo[row] = off % TWO32;
      b.offsetHi[row] = Math.floor(off / TWO32);
    }
    if (m.viaMap && m.hitEnd - m.hitBarStart <= TWO32) {
      this.cMapId = mapId;
      this.cGen = m.generation;
      this.cStart = m.hitStart;
      this.cEnd = m.hitEnd;
      this.cDev = dev;
      this.cBar = m.bar;
      this.cBarStart = m.hitBarStart;
    }
    if (m.viaMap) {
      this.viaMap++;
      return EventFlag.VIA_MAP;
    }
    return 0;
  }

  text(buf: Uint8Array, s: number, e: number): string {
    return this.utf8.decode(buf.subarray(s, e));
  }

  /** Zeroes the numeric columns of a row that is not an access. */
  clear(row: number, kind: number): void {
    const b = this.b;
    b.kind[row] = kind;
    b.width[row] = 0;
    b.flags[row] = 0;
    b.sec[row] = 0;
    b.usec[row] = 0;
    b.mapId[row] = -1;
    b.addrLo[row] = 0;
    b.addrHi[row] = 0;
    b.valueLo[row] = 0;
    b.valueHi[row] = 0;
    b.pcLo[row] = 0;
    b.pcHi[row] = 0;
    b.pid[row] = 0;
    b.device[row] = -1;
    b.bar[row] = -1;
    b.offsetLo[row] = 0;
    b.offsetHi[row] = 0;
  }

  private error(code: number, name: TraceError["code"], line: number, byteOffset: number): void {
    this.issues.add(code, line);
    this.onError?.({ code: name, line, byteOffset, message: issueMessage(name) });
  }

  private invalid(
    buf: Uint8Array,
    s: number,
    e: number,
    row: number,
    lineNo: number,
    offset: number,
    flags: number,
  ): void {
    this.clear(row, EventKind.INVALID);
    this.b.flags[row] = flags;
    const max = this.limits.maxRawInvalid;
    this.b.addExtra(row, null, this.text(buf, s, Math.min(e, s + max)));
    this.counts[EventKind.INVALID]!++;
    this.error(Code.UNPARSABLE_LINE, "UNPARSABLE_LINE", lineNo, offset);
    this.commit();
  }

  pushLost(l: LostReport): void {
    if (this.lost.length < this.limits.maxMarkers) this.lost.push(l);
    else this.issues.add(Code.LIST_TRUNCATED, l.line);
  }
}
