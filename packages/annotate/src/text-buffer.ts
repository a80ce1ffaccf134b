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
 * A constant piece of text (ASCII) as little-endian 32-bit words, for putPiece: written four
 * bytes at a time, it costs a third of a byte loop (the keys of the API's JSON rows).
 */
export class Piece {
  readonly words: Uint32Array;
  readonly length: number;

  constructor(text: string) {
    this.length = text.length;
    const bytes = new Uint8Array(Math.ceil(text.length / 4) * 4);
    for (let k = 0; k < text.length; k++) bytes[k] = text.charCodeAt(k);
    this.words = new Uint32Array(bytes.buffer);
  }
}

/**
 * `c` at `p` of the buffer `v` views, returning where it ends. Writes up to 3 bytes past that
 * (what follows overwrites them): the caller's room must cover them.
 */
export function putPiece(v: DataView, p: number, c: Piece): number {
  const w = c.words;
  for (let k = 0; k < w.length; k++) v.setUint32(p + 4 * k, w[k]!, true);
  return p + c.length;
}

/** Pieces made on first use, one per small non-negative integer key (a card, a width). */
export function pieces(make: (key: number) => string): (key: number) => Piece {
  const made: Piece[] = [];
  return (key) => {
    let piece = made[key];
    if (piece === undefined) made[key] = piece = new Piece(make(key));
    return piece;
  };
}

/**
 * How lines are laid out in a TextBuffer that is part of a document (a JSON array of strings, an
 * HTML table cell) rather than demmio's text: what ends a line, and the escaping of text that may
 * hold anything (names from the register database, marker lines of the trace).
 */
export interface TextFormat {
  /** written where demmio's text has "\n" */
  lineEnd: Uint8Array;
  /** by character code below 128: 1 for a character that is written as it is */
  plain: Uint8Array;
  /** a piece of text holding a character that is not plain, escaped for the document */
  escape(s: string): string;
}

/** A TextFormat's `plain` table: printable ASCII but `special`. */
export function plainAscii(special: string): Uint8Array {
  const plain = new Uint8Array(128);
  for (let c = 0x20; c < 0x7f; c++) plain[c] = special.includes(String.fromCharCode(c)) ? 0 : 1;
  return plain;
}

/**
 * A growable byte buffer that lines are written into field by field: numbers go in as digits
 * without an intermediate string, names as latin1 (register names are ASCII). Building a string
 * per line and converting it later costs more in garbage collection than the annotation itself.
 *
 * With a `format`, the text is written as part of a document straight away (the API's events rows
 * hold the annotation as JSON strings and the sequence page as HTML): `text` escapes what is not
 * plain and `eol` writes the format's line end, so nothing needs copying and escaping later.
 */
export class TextBuffer implements DecodeOut {
  buf: Buffer;
  /** `buf` as a DataView, for putPiece */
  view: DataView;
  pos = 0;
  format: TextFormat | undefined = undefined;

  constructor(capacity = 1 << 16) {
    this.buf = Buffer.allocUnsafe(capacity);
    this.view = new DataView(this.buf.buffer, this.buf.byteOffset, this.buf.length);
  }

  /** Makes room for `n` more bytes. */
  reserve(n: number): void {
    if (this.pos + n <= this.buf.length) return;
    const bigger = Buffer.allocUnsafe(Math.max(this.buf.length * 2, this.pos + n));
    this.buf.copy(bigger, 0, 0, this.pos);
    this.buf = bigger;
    this.view = new DataView(bigger.buffer, bigger.byteOffset, bigger.length);
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

  /**
   * Text of any length from outside this code (a name from the register database): reserves room
   * itself. Demmio's text takes it as ASCII; a format escapes it unless every character is plain.
   */
  text(s: string): void {
    if (this.pos + s.length > this.buf.length) this.reserve(s.length);
    const format = this.format;
    if (format === undefined) {
      this.ascii(s);
      return;
    }
    const { plain } = format;
    const buf = this.buf;
    let p = this.pos;
    for (let k = 0; k < s.length; k++) {
      const c = s.charCodeAt(k);
      if (c >= 128 || plain[c] !== 1) {
        this.utf8(format.escape(s));
        return;
      }
      buf[p++] = c;
    }
    this.pos = p;
  }

  /** A line of the trace as it is (its line end left out), which may hold anything. */
  line(s: string): void {
    if (this.format === undefined) this.utf8(s);
    else this.text(s);
  }

  /** The end of a line: "\n", or the format's. */
  eol(): void {
    const end = this.format?.lineEnd;
    if (end === undefined) {
      if (this.pos >= this.buf.length) this.reserve(1);
      this.buf[this.pos++] = 0x0a;
      return;
    }
    if (this.pos + end.length > this.buf.length) this.reserve(end.length);
    const buf = this.buf;
    let p = this.pos;
    for (let k = 0; k < end.length; k++) buf[p++] = end[k]!;
    this.pos = p;
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
