// The line that makes up almost every trace — `R|W width sec.usec mapid 0xaddr 0xvalue 0xpc pid`
// in exactly the kernel's formatting — parsed in one pass over the bytes, up to and including
// its `\n`, with local variables only. It also finds the end of the line, so the caller needs no
// separate newline search for it. Anything unusual (other records, padding, a line that
// runs past the chunk) returns -1 and goes through the general path.
import { EventFlag, EventKind } from "./kinds";
import type { RecordReader } from "./records";

const R = 0x52;
const W = 0x57;
const SP = 0x20;
const DOT = 0x2e;
const LF = 0x0a;
const CR = 0x0d;
const ZERO = 0x30;
const X = 0x78;
const TWO32 = 4294967296;

/** Lower-case hex digit values; -1 for anything else (upper case goes to the general path). */
const HEX = new Int8Array(256).fill(-1);
for (let i = 0; i < 10; i++) HEX[0x30 + i] = i;
for (let i = 0; i < 6; i++) HEX[0x61 + i] = 10 + i;

// Results of hex() and decimal(), kept in module scope: the function is synchronous and never re-entered.
let hexLo = 0;
let hexHi = 0;

let decValue = 0;

/** A canonical unsigned decimal (no leading zero, at most 10 digits) at p; the position after it, or -1. */
function decimal(buf: Uint8Array, p: number, end: number): number {
  let q = p;
  let v = 0;
  while (q < end) {
    const c = buf[q]! - ZERO;
    if (c < 0 || c > 9) break;
    v = v * 10 + c;
    q++;
  }
  const n = q - p;
  if (n === 0 || n > 10 || (n > 1 && buf[p] === ZERO)) return -1;
  decValue = v;
  return q;
}

/** `0x` + 1..16 canonical hex digits at p; returns the position after them, or -1. */
function hex(buf: Uint8Array, p: number, end: number): number {
  if (p + 2 >= end || buf[p] !== ZERO || buf[p + 1] !== X) return -1;
  p += 2;
  const s = p;
  // Up to 8 digits in one uint32: addresses and values of 32-bit registers never need more.
  const stop = Math.min(s + 8, end);
  let lo = 0;
  while (p < stop) {
    const d = HEX[buf[p]!]!;
    if (d < 0) break;
    lo = ((lo << 4) | d) >>> 0;
    p++;
  }
  let hi = 0;
  if (p === stop && p < end && HEX[buf[p]!]! >= 0) {
    // 64-bit values and kernel PCs: shift the extra digits through lo into hi.
    const stop64 = Math.min(s + 16, end);
    while (p < stop64) {
      const d = HEX[buf[p]!]!;
      if (d < 0) break;
      hi = ((hi << 4) | (lo >>> 28)) >>> 0;
      lo = ((lo << 4) | d) >>> 0;
      p++;
    }
    if (p < end && HEX[buf[p]!]! >= 0) return -1;
  }
  const n = p - s;
  if (n === 0 || (n > 1 && buf[s] === ZERO)) return -1;
  hexLo = lo;
  hexHi = hi;
  return p;
}

/** Returns the index of the line's `\n`, or -1 when the general path must take the line. */
export function fastAccess(
  r: RecordReader,
  buf: Uint8Array,
  s: number,
  end: number,
  lineNo: number,
  offset: number,
): number {
  const c0 = buf[s];
  if ((c0 !== R && c0 !== W) || s + 28 > end || buf[s + 1] !== SP || buf[s + 3] !== SP) return -1;
  const width = buf[s + 2]! - ZERO;
  if (width !== 4 && width !== 1 && width !== 2 && width !== 8) return -1;
  let p = s + 4;
  let q = decimal(buf, p, end);
  const sec = decValue;
  if (q < 0 || sec > 0xffffffff) return -1;
  if (q + 8 >= end || buf[q] !== DOT || buf[q + 7] !== SP) return -1;
  let usec = 0;
  for (let i = 1; i <= 6; i++) {
    const c = buf[q + i]! - ZERO;
    if (c < 0 || c > 9) return -1;
    usec = usec * 10 + c;
  }
  // map id (non-negative; a negative one takes the general path)
  q = decimal(buf, q + 8, end);
  const mapId = decValue;
  if (q < 0 || mapId > 0x7fffffff) return -1;
  if (q >= end || buf[q] !== SP) return -1;
  p = hex(buf, q + 1, end);
  if (p < 0 || p >= end || buf[p] !== SP) return -1;
  const aLo = hexLo;
  const aHi = hexHi;
  p = hex(buf, p + 1, end);
  if (p < 0 || p >= end || buf[p] !== SP) return -1;
  const vLo = hexLo;
  const vHi = hexHi;
  p = hex(buf, p + 1, end);
  if (p < 0 || p >= end || buf[p] !== SP) return -1;
  // pid, then the line must end right there
  q = decimal(buf, p + 1, end);
  const pid = decValue;
  if (q < 0 || pid > 0x7fffffff) return -1;
  let eol = 0;
  if (q >= end) return -1;
  if (buf[q] !== LF) {
    // Logs that went through a serial console or a mail client end their lines in \r\n.
    if (buf[q] !== CR || q + 1 >= end || buf[q + 1] !== LF) return -1;
    q++;
    eol = EventFlag.CRLF;
  }

  const b = r.b;
  const row = b.length;
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
  b.pcLo[row] = hexLo;
  b.pcHi[row] = hexHi;
  b.pid[row] = pid;
  b.line[row] = lineNo;
  b.byteOffset[row] = offset;
  b.extra[row] = -1;
  if (sec < r.lastSec || (sec === r.lastSec && usec < r.lastUsec) || r.firstSec < 0)
    r.time(sec, usec, lineNo);
  else {
    r.lastSec = sec;
    r.lastUsec = usec;
  }
  const addr = aHi * TWO32 + aLo;
  let flags: number;
  if (mapId === r.cMapId && addr >= r.cStart && addr < r.cEnd && r.cGen === r.model.generation) {
    const dev = r.cDev;
    const off = addr - r.cBarStart;
    b.device[row] = dev;
    b.bar[row] = r.cBar;
    b.offsetLo[row] = off;
    b.offsetHi[row] = 0;
    r.resolved++;
    r.viaMap++;
    r.cards.count(dev);
    flags = EventFlag.VIA_MAP;
  } else flags = r.access(row, mapId, aLo, aHi, lineNo);
  if (kind === EventKind.READ && b.bar[row] === 0 && width === 4 && b.offsetHi[row] === 0) {
    const off = b.offsetLo[row]!;
    if (off === 0 || off === 0xa00) r.cards.read(b.device[row]!, off, vLo);
  }
  b.flags[row] = flags | eol;
  r.counts[kind]!++;
  r.commit();
  return q;
}
