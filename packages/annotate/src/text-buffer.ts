import type { DecodeOut } from "@mmiohub/rnndb";

const HEX = new Uint8Array(Array.from("0123456789abcdef", (c) => c.charCodeAt(0)));

// Writers of ASCII into a byte array at `p`, each returning where it ended; the caller has made
// room. TextBuffer's methods are these on its own buffer; a caller writing many small pieces in a
// row (the API's events rows) uses them on local variables.

export function putAscii(b: Uint8Array, p: number, s: string): number {
  for (let k = 0; k < s.length; k++) b[p++] = s.charCodeAt(k);
  return p;
}

/** Decimal of a non-negative integer below 2^53. */
export function putDec(b: Uint8Array, p: number, v: number): number {
  if (v < 10) {
    b[p] = 48 + v;
    return p + 1;
  }
  if (v > 0x7fffffff) return putAscii(b, p, v.toString());
  let n = 1;
  for (let x = v; x >= 10; x = (x / 10) | 0) n++;
  return putDecPad(b, p, v, n);
}

/** Zero-padded decimal of exactly `width` digits (v below 2^31). */
export function putDecPad(b: Uint8Array, p: number, v: number, width: number): number {
  const end = p + width;
  for (let q = end - 1; q >= p; q--) {
    const d = (v / 10) | 0;
    b[q] = 48 + v - d * 10;
    v = d;
  }
  return end;
}

/** Lower-case hex of a 32-bit value, at least `min` digits. */
export function putHex(b: Uint8Array, p: number, v: number, min = 1): number {
  v >>>= 0;
  let n = (35 - Math.clz32(v)) >> 2;
  if (n < 1) n = 1;
  for (let k = min - n; k > 0; k--) b[p++] = 48;
  for (let shift = (n - 1) * 4; shift >= 0; shift -= 4) b[p++] = HEX[(v >>> shift) & 15]!;
  return p;
}

/** Lower-case hex of hi:lo, at least `min` digits (the high half unpadded, as printf prints it). */
export function putHex64(b: Uint8Array, p: number, lo: number, hi: number, min = 1): number {
  if (hi === 0) return putHex(b, p, lo, min);
  return putHex(b, putHex(b, p, hi, min > 8 ? min - 8 : 1), lo, 8);
}

/**
 * A growable byte buffer that lines are written into field by field: numbers go in as digits
 * without an intermediate string, names as latin1 (register names are ASCII). Building a string
 * per line and converting it later costs more in garbage collection than the annotation itself.
 */
export class TextBuffer implements DecodeOut {
  buf: Buffer;
  pos = 0;

  constructor(capacity = 1 << 16) {
    this.buf = Buffer.allocUnsafe(capacity);
  }

  /** Makes room for `n` more bytes. */
  reserve(n: number): void {
    if (this.pos + n <= this.buf.length) return;
    const bigger = Buffer.allocUnsafe(Math.max(this.buf.length * 2, this.pos + n));
    this.buf.copy(bigger, 0, 0, this.pos);
    this.buf = bigger;
  }

  /** ASCII text (the caller reserved room for it). */
  ascii(s: string): void {
    const n = s.length;
    if (n > 24) {
      this.pos += this.buf.write(s, this.pos, "latin1");
      return;
    }
    // short strings: a byte loop beats the native call's overhead
    this.pos = putAscii(this.buf, this.pos, s);
  }

  /** ASCII text of any length: reserves room itself. */
  text(s: string): void {
    if (this.pos + s.length > this.buf.length) this.reserve(s.length);
    this.ascii(s);
  }

  /** printf("%#x") of a non-negative integer below 2^53: "0" for zero. */
  altHex(v: number): void {
    if (this.pos + 24 > this.buf.length) this.reserve(24);
    if (v === 0) {
      this.buf[this.pos++] = 48;
      return;
    }
    this.buf[this.pos++] = 48;
    this.buf[this.pos++] = 120;
    this.hexNum(v);
  }

  /** Text that may hold anything (marker lines): reserves room itself. */
  utf8(s: string): void {
    this.reserve(Buffer.byteLength(s));
    this.pos += this.buf.write(s, this.pos, "utf8");
  }

  byte(c: number): void {
    this.buf[this.pos++] = c;
  }

  dec(v: number): void {
    if (this.pos + 20 > this.buf.length) this.reserve(20);
    this.pos = putDec(this.buf, this.pos, v);
  }

  /** Zero-padded decimal of exactly `width` digits (v below 2^31). */
  decPad(v: number, width: number): void {
    this.pos = putDecPad(this.buf, this.pos, v, width);
  }

  /** Lower-case hex of a 32-bit value, at least `min` digits. */
  hex(v: number, min = 1): void {
    this.pos = putHex(this.buf, this.pos, v, min);
  }

  /** Lower-case hex of hi:lo, at least `min` digits. */
  hex64(lo: number, hi: number, min = 1): void {
    this.pos = putHex64(this.buf, this.pos, lo, hi, min);
  }

  /** Hex of a number up to 2^53 (offsets, VRAM addresses). */
  hexNum(v: number, min = 1): void {
    if (v <= 0xffffffff) this.hex(v, min);
    else this.hex64(v % 0x100000000, Math.floor(v / 0x100000000), min);
  }

  /** The text written so far as a string (no intermediate copy), and an empty buffer. */
  takeString(): string {
    const s = this.pos === 0 ? "" : this.buf.toString("utf8", 0, this.pos);
    this.pos = 0;
    return s;
  }

  /** Takes the bytes written so far (a copy) and empties the buffer. */
  take(): Buffer {
    const out = Buffer.allocUnsafe(this.pos);
    this.buf.copy(out, 0, 0, this.pos);
    this.pos = 0;
    return out;
  }
}
