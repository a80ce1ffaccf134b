// Every record but R/W: MARK (and the lost-events notice), MAP, UNMAP, UNKNOWN, PCIDEV, VERSION,
// LSPCI and ftrace's CPU lost notice. Rare, so clarity wins over speed here.
import { EventKind } from "./kinds";
import { parsePcidev } from "./pcidev";
import type { RecordReader } from "./records";
import { Code } from "./report";
import { ascii, type Scanner } from "./scanner";

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

/** Every record but R/W. Returns false when the line is not a valid record. */
export function parseRare(
  r: RecordReader,
  sc: Scanner,
  buf: Uint8Array,
  s: number,
  e: number,
  row: number,
  lineNo: number,
): boolean {
  const b = r.b;
  sc.reset(buf, s, e);
  if (sc.word(W_MARK)) {
    if (!sc.timestamp() || !sc.space()) return false;
    const text = r.text(buf, sc.pos, e);
    r.clear(row, EventKind.MARK);
    b.sec[row] = sc.sec;
    b.usec[row] = sc.usec;
    // The kernel prints its notice at 0.000000; hand-written traces put a real time there.
    const lost = LOST_TEXT.exec(text);
    if (lost !== null) {
      const n = Number(lost[1]);
      if (n > 0xffffffff) return false;
      b.kind[row] = EventKind.LOST;
      b.valueLo[row] = n;
      r.lostMark += n;
      r.issues.add(Code.LOST_EVENTS, lineNo, n);
      r.pushLost({ eventIndex: r.events, line: lineNo, count: n, source: "mark" });
      if (sc.sec !== 0 || sc.usec !== 0) r.time(sc.sec, sc.usec, lineNo);
    } else {
      r.time(sc.sec, sc.usec, lineNo);
      if (r.markers.length < r.limits.maxMarkers) {
        r.markers.push({ eventIndex: r.events, line: lineNo, sec: sc.sec, usec: sc.usec, text });
      } else r.issues.add(Code.LIST_TRUNCATED, lineNo);
    }
    b.addExtra(row, text, sc.odd ? r.text(buf, s, e) : null);
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
    const virt = r.text(buf, vStart, sc.pos);
    if (!sc.space() || !sc.hex64(true)) return false;
    const lLo = sc.lo;
    const lHi = sc.hi;
    if (!sc.space() || !sc.hex64(true)) return false;
    const pcLo = sc.lo;
    const pcHi = sc.hi;
    if (!sc.space() || !sc.i32() || !sc.atEnd()) return false;
    r.clear(row, EventKind.MAP);
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
    r.time(sc.sec, sc.usec, lineNo);
    const inBar = r.model.map(mapId, pLo, pHi, lLo, lHi, virt, r.events, lineNo, sc.sec, sc.usec);
    if (!inBar) r.issues.add(Code.MAP_OUTSIDE_BARS, lineNo);
    if (r.model.mappingsTruncated) r.issues.add(Code.LIST_TRUNCATED, lineNo);
    r.model.resolve(Number.NaN, pLo, pHi);
    b.device[row] = r.model.device;
    b.bar[row] = r.model.bar;
    b.addExtra(row, virt, r.text(buf, s, e));
    return true;
  }
  if (sc.word(W_UNMAP)) {
    if (!sc.timestamp() || !sc.space() || !sc.i32()) return false;
    const mapId = sc.lo;
    if (!sc.space() || !sc.hex64(true)) return false;
    const pcLo = sc.lo;
    const pcHi = sc.hi;
    if (!sc.space() || !sc.i32() || !sc.atEnd()) return false;
    r.clear(row, EventKind.UNMAP);
    b.sec[row] = sc.sec;
    b.usec[row] = sc.usec;
    b.mapId[row] = mapId;
    b.pcLo[row] = pcLo;
    b.pcHi[row] = pcHi;
    b.pid[row] = sc.lo;
    r.time(sc.sec, sc.usec, lineNo);
    if (!r.model.unmap(mapId, r.events, sc.sec, sc.usec)) r.issues.add(Code.UNMAP_UNKNOWN_ID, lineNo);
    if (sc.odd) b.addExtra(row, null, r.text(buf, s, e));
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
    const ops = r.text(buf, opStart, sc.pos);
    if (!sc.space() || !sc.hex64(true)) return false;
    const pcLo = sc.lo;
    const pcHi = sc.hi;
    if (!sc.space() || !sc.i32() || !sc.atEnd()) return false;
    r.clear(row, EventKind.UNKNOWN);
    b.sec[row] = sc.sec;
    b.usec[row] = sc.usec;
    b.mapId[row] = mapId;
    b.addrLo[row] = aLo;
    b.addrHi[row] = aHi;
    b.pcLo[row] = pcLo;
    b.pcHi[row] = pcHi;
    b.pid[row] = sc.lo;
    r.time(sc.sec, sc.usec, lineNo);
    b.flags[row] = r.access(row, mapId, aLo, aHi, lineNo);
    r.issues.add(Code.UNKNOWN_OPCODE, lineNo);
    b.addExtra(row, ops, r.text(buf, s, e));
    return true;
  }
  if (sc.word(W_PCIDEV)) {
    const text = r.text(buf, s, e);
    const d = parsePcidev(sc, r.model.devices.length, lineNo, text);
    if (d === null) return false;
    r.clear(row, EventKind.PCIDEV);
    const index = r.model.addDevice(d);
    if (index === d.index) r.cards.addDevice(d);
    b.device[row] = index;
    b.addExtra(row, d.driver ?? "", text);
    return true;
  }
  if (sc.word(W_VERSION)) {
    const version = r.text(buf, sc.pos, e);
    if (version.length === 0 || version.includes(" ")) return false;
    r.clear(row, EventKind.VERSION);
    if (r.version === null) {
      r.version = version;
      if (version !== KNOWN_VERSION) r.issues.add(Code.VERSION_UNKNOWN, lineNo);
    }
    b.addExtra(row, version, r.text(buf, s, e));
    return true;
  }
  if (sc.word(W_LSPCI)) {
    if (!sc.atEnd() && !sc.space()) return false;
    r.clear(row, EventKind.LSPCI);
    b.addExtra(row, r.text(buf, sc.pos, e), r.text(buf, s, e));
    return true;
  }
  if (sc.word(W_CPU)) {
    if (!sc.u32()) return false;
    const cpu = sc.lo;
    if (!sc.word(W_LOST_CPU) || !sc.u32()) return false;
    const n = sc.lo;
    if (!sc.word(W_EVENTS_CPU) || !sc.atEnd()) return false;
    r.clear(row, EventKind.CPU_LOST);
    b.mapId[row] = cpu;
    b.valueLo[row] = n;
    r.lostCpu += n;
    r.issues.add(Code.LOST_EVENTS, lineNo, 0);
    r.pushLost({ eventIndex: r.events, line: lineNo, count: n, source: "cpu" });
    b.addExtra(row, null, r.text(buf, s, e));
    return true;
  }
  return false;
}
