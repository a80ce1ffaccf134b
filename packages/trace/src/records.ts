// Turns one line into one event row: the R/W fast path inline, every rarer record in its own
// method. Resolution, identity and validation happen here too, so a trace is read once.
import { BatchBuilder } from "./batch";
import { CardTracker } from "./cards";
import { EventFlag, EventKind } from "./kinds";
import { TraceModel } from "./model";
import type { LostReport, Marker } from "./model-types";
import { parsePcidev } from "./pcidev";
import { Code, IssueCounter, issueMessage, type TraceError } from "./report";
import { ascii, Scanner, SP } from "./scanner";

const R = 0x52;
const W = 0x57;
const TWO32 = 4294967296;

const W_MAP = ascii("MAP ");
const W_UNMAP = ascii("UNMAP ");
const W_MARK = ascii("MARK ");
const W_UNKNOWN = ascii("UNKNOWN ");
const W_VERSION = ascii("VERSION ");
const W_PCIDEV = ascii("PCIDEV ");
const W_LSPCI = ascii("LSPCI");
const W_CPU = ascii("CPU:");
const COMMA = ascii(",");
const W_LOST_CPU = ascii(" [LOST ");
const W_EVENTS_CPU = ascii(" EVENTS]");
const LOST_TEXT = /^Lost (\d+) events\.$/;
const KNOWN_VERSION = "20070824";

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
  private readonly utf8 = new TextDecoder();

  constructor(
    private readonly limits: RecordLimits,
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
    } else if (this.rare(buf, s, e, row, lineNo)) {
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
    if (this.limits.reuseBatches) {
      this.b.length = 0;
      this.b.extras = [];
    } else this.b = new BatchBuilder(this.limits.batchSize);
    this.b.start = start;
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

  private text(buf: Uint8Array, s: number, e: number): string {
    return this.utf8.decode(buf.subarray(s, e));
  }

  /** Zeroes the numeric columns of a row that is not an access. */
  private clear(row: number, kind: number): void {
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

  /** Every record but R/W. Returns false when the line is not a valid record. */
  private rare(buf: Uint8Array, s: number, e: number, row: number, lineNo: number): boolean {
    const sc = this.sc;
    const b = this.b;
    sc.reset(buf, s, e);
    if (sc.word(W_MARK)) {
      if (!sc.timestamp() || !sc.space()) return false;
      const text = this.text(buf, sc.pos, e);
      this.clear(row, EventKind.MARK);
      b.sec[row] = sc.sec;
      b.usec[row] = sc.usec;
      // The kernel prints its notice at 0.000000; hand-written traces put a real time there.
      const lost = LOST_TEXT.exec(text);
      if (lost !== null) {
        const n = Number(lost[1]);
        if (n > 0xffffffff) return false;
        b.kind[row] = EventKind.LOST;
        b.valueLo[row] = n;
        this.lostMark += n;
        this.issues.add(Code.LOST_EVENTS, lineNo, n);
        this.pushLost({ eventIndex: this.events, line: lineNo, count: n, source: "mark" });
        if (sc.sec !== 0 || sc.usec !== 0) this.time(sc.sec, sc.usec, lineNo);
      } else {
        this.time(sc.sec, sc.usec, lineNo);
        if (this.markers.length < this.limits.maxMarkers) {
          this.markers.push({ eventIndex: this.events, line: lineNo, sec: sc.sec, usec: sc.usec, text });
        } else this.issues.add(Code.LIST_TRUNCATED, lineNo);
      }
      b.addExtra(row, text, sc.odd ? this.text(buf, s, e) : null);
      return true;
    }
    if (sc.word(W_MAP)) {
      if (!sc.timestamp() || !sc.space() || !sc.i32()) return false;
      const mapId = sc.lo;
      if (!sc.space() || !sc.hex64(true)) return false;
      const pLo = sc.lo;
      const pHi = sc.hi;
      if (!sc.space()) return false;
      const vStart = sc.pos;
      if (!sc.hex64(true)) return false;
      const virt = this.text(buf, vStart, sc.pos);
      if (!sc.space() || !sc.hex64(true)) return false;
      const lLo = sc.lo;
      const lHi = sc.hi;
      if (!sc.space() || !sc.hex64(true)) return false;
      const pcLo = sc.lo;
      const pcHi = sc.hi;
      if (!sc.space() || !sc.i32() || !sc.atEnd()) return false;
      this.clear(row, EventKind.MAP);
      b.sec[row] = sc.sec;
      b.usec[row] = sc.usec;
      b.mapId[row] = mapId;
      b.addrLo[row] = pLo;
      b.addrHi[row] = pHi;
      b.valueLo[row] = lLo;
      b.valueHi[row] = lHi;
      b.pcLo[row] = pcLo;
      b.pcHi[row] = pcHi;
      b.pid[row] = sc.lo;
      this.time(sc.sec, sc.usec, lineNo);
      const inBar = this.model.map(mapId, pLo, pHi, lLo, lHi, virt, this.events, lineNo, sc.sec, sc.usec);
      if (!inBar) this.issues.add(Code.MAP_OUTSIDE_BARS, lineNo);
      if (this.model.mappingsTruncated) this.issues.add(Code.LIST_TRUNCATED, lineNo);
      this.model.resolve(Number.NaN, pLo, pHi);
      b.device[row] = this.model.device;
      b.bar[row] = this.model.bar;
      b.addExtra(row, virt, this.text(buf, s, e));
      return true;
    }
    if (sc.word(W_UNMAP)) {
      if (!sc.timestamp() || !sc.space() || !sc.i32()) return false;
      const mapId = sc.lo;
      if (!sc.space() || !sc.hex64(true)) return false;
      const pcLo = sc.lo;
      const pcHi = sc.hi;
      if (!sc.space() || !sc.i32() || !sc.atEnd()) return false;
      this.clear(row, EventKind.UNMAP);
      b.sec[row] = sc.sec;
      b.usec[row] = sc.usec;
      b.mapId[row] = mapId;
      b.pcLo[row] = pcLo;
      b.pcHi[row] = pcHi;
      b.pid[row] = sc.lo;
      this.time(sc.sec, sc.usec, lineNo);
      if (!this.model.unmap(mapId, this.events, sc.sec, sc.usec))
        this.issues.add(Code.UNMAP_UNKNOWN_ID, lineNo);
      if (sc.odd) b.addExtra(row, null, this.text(buf, s, e));
      return true;
    }
    if (sc.word(W_UNKNOWN)) {
      if (!sc.timestamp() || !sc.space() || !sc.i32()) return false;
      const mapId = sc.lo;
      if (!sc.space() || !sc.hex64(true)) return false;
      const aLo = sc.lo;
      const aHi = sc.hi;
      if (!sc.space()) return false;
      const opStart = sc.pos;
      for (let i = 0; i < 3; i++) {
        if (i > 0 && !sc.word(COMMA)) return false;
        if (!sc.hex64(false)) return false;
      }
      const ops = this.text(buf, opStart, sc.pos);
      if (!sc.space() || !sc.hex64(true)) return false;
      const pcLo = sc.lo;
      const pcHi = sc.hi;
      if (!sc.space() || !sc.i32() || !sc.atEnd()) return false;
      this.clear(row, EventKind.UNKNOWN);
      b.sec[row] = sc.sec;
      b.usec[row] = sc.usec;
      b.mapId[row] = mapId;
      b.addrLo[row] = aLo;
      b.addrHi[row] = aHi;
      b.pcLo[row] = pcLo;
      b.pcHi[row] = pcHi;
      b.pid[row] = sc.lo;
      this.time(sc.sec, sc.usec, lineNo);
      b.flags[row] = this.access(row, mapId, aLo, aHi, lineNo);
      this.issues.add(Code.UNKNOWN_OPCODE, lineNo);
      b.addExtra(row, ops, this.text(buf, s, e));
      return true;
    }
    if (sc.word(W_PCIDEV)) {
      const text = this.text(buf, s, e);
      const d = parsePcidev(sc, this.model.devices.length, lineNo, text);
      if (d === null) return false;
      this.clear(row, EventKind.PCIDEV);
      const index = this.model.addDevice(d);
      if (index === d.index) this.cards.addDevice(d);
      b.device[row] = index;
      b.addExtra(row, d.driver ?? "", text);
      return true;
    }
    if (sc.word(W_VERSION)) {
      const version = this.text(buf, sc.pos, e);
      if (version.length === 0 || version.includes(" ")) return false;
      this.clear(row, EventKind.VERSION);
      if (this.version === null) {
        this.version = version;
        if (version !== KNOWN_VERSION) this.issues.add(Code.VERSION_UNKNOWN, lineNo);
      }
      b.addExtra(row, version, this.text(buf, s, e));
      return true;
    }
    if (sc.word(W_LSPCI)) {
      if (!sc.atEnd() && !sc.space()) return false;
      this.clear(row, EventKind.LSPCI);
      b.addExtra(row, this.text(buf, sc.pos, e), this.text(buf, s, e));
      return true;
    }
    if (sc.word(W_CPU)) {
      if (!sc.u32()) return false;
      const cpu = sc.lo;
      if (!sc.word(W_LOST_CPU) || !sc.u32()) return false;
      const n = sc.lo;
      if (!sc.word(W_EVENTS_CPU) || !sc.atEnd()) return false;
      this.clear(row, EventKind.CPU_LOST);
      b.mapId[row] = cpu;
      b.valueLo[row] = n;
      this.lostCpu += n;
      this.issues.add(Code.LOST_EVENTS, lineNo, 0);
      this.pushLost({ eventIndex: this.events, line: lineNo, count: n, source: "cpu" });
      b.addExtra(row, null, this.text(buf, s, e));
      return true;
    }
    return false;
  }

  private pushLost(l: LostReport): void {
    if (this.lost.length < this.limits.maxMarkers) this.lost.push(l);
    else this.issues.add(Code.LIST_TRUNCATED, l.line);
  }
}
