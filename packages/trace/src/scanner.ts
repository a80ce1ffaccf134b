// Reads the fields of one line straight from the bytes. Results land in fields (lo/hi, sec/usec)
// instead of returned objects so the hot path allocates nothing. `odd` records formatting the
// kernel never prints (zero padding, upper-case hex): such lines keep their raw text so the writer
// can still reproduce them byte for byte.

export const SP = 0x20;
const ZERO = 0x30;
const X = 0x78;
const DOT = 0x2e;
const MINUS = 0x2d;

/** Hex digit value, +16 for upper case (valid but not kernel style), -1 for anything else. */
const HEX = new Int8Array(256).fill(-1);
for (let i = 0; i < 10; i++) HEX[0x30 + i] = i;
for (let i = 0; i < 6; i++) {
  HEX[0x61 + i] = 10 + i;
  HEX[0x41 + i] = 26 + i;
}

export class Scanner {
  buf: Uint8Array = new Uint8Array(0);
  pos = 0;
  end = 0;
  lo = 0;
  hi = 0;
  sec = 0;
  usec = 0;
  odd = false;

  reset(buf: Uint8Array, start: number, end: number): void {
    this.buf = buf;
    this.pos = start;
    this.end = end;
    this.odd = false;
  }

  atEnd(): boolean {
    return this.pos === this.end;
  }

  space(): boolean {
    if (this.pos < this.end && this.buf[this.pos] === SP) {
      this.pos++;
      return true;
    }
    return false;
  }

  /** Unsigned decimal < 2^32 into `lo`. */
  u32(): boolean {
    const b = this.buf;
    const e = this.end;
    const s = this.pos;
    let p = s;
    let v = 0;
    while (p < e) {
      const c = b[p]! - ZERO;
      if (c < 0 || c > 9) break;
      v = v * 10 + c;
      p++;
    }
    const n = p - s;
    if (n === 0 || n > 10 || v > 0xffffffff) return false;
    if (n > 1 && b[s] === ZERO) this.odd = true;
    this.lo = v;
    this.pos = p;
    return true;
  }

  /** Signed decimal int32 (`%d`) into `lo`. */
  i32(): boolean {
    let neg = false;
    if (this.pos < this.end && this.buf[this.pos] === MINUS) {
      neg = true;
      this.pos++;
    }
    if (!this.u32()) return false;
    if (neg) {
      if (this.lo > 0x80000000) return false;
      this.lo = -this.lo;
    } else if (this.lo > 0x7fffffff) return false;
    return true;
  }

  /** `%u.%06lu` into `sec`/`usec`. */
  timestamp(): boolean {
    if (!this.u32()) return false;
    const b = this.buf;
    let p = this.pos;
    if (p + 7 > this.end || b[p] !== DOT) return false;
    p++;
    let v = 0;
    for (let i = 0; i < 6; i++) {
      const c = b[p + i]! - ZERO;
      if (c < 0 || c > 9) return false;
      v = v * 10 + c;
    }
    this.sec = this.lo;
    this.usec = v;
    this.pos = p + 6;
    return true;
  }

  /** Hex digits (1 to 16) into `lo`/`hi`; with `prefix`, they must follow `0x`. */
  hex64(prefix: boolean): boolean {
    const b = this.buf;
    const e = this.end;
    let p = this.pos;
    if (prefix) {
      if (p + 2 > e || b[p] !== ZERO || b[p + 1] !== X) return false;
      p += 2;
    }
    const s = p;
    let lo = 0;
    let hi = 0;
    while (p < e) {
      let d = HEX[b[p]!]!;
      if (d < 0) break;
      if (d >= 16) {
        d -= 16;
        this.odd = true;
      }
      hi = ((hi << 4) | (lo >>> 28)) >>> 0;
      lo = ((lo << 4) | d) >>> 0;
      p++;
    }
    const n = p - s;
    if (n === 0 || n > 16) return false;
    if (n > 1 && b[s] === ZERO) this.odd = true;
    this.lo = lo;
    this.hi = hi;
    this.pos = p;
    return true;
  }

  /** True when the bytes at the cursor spell `word` (ASCII); moves past it. */
  word(word: Uint8Array): boolean {
    const n = word.length;
    if (this.pos + n > this.end) return false;
    for (let i = 0; i < n; i++) if (this.buf[this.pos + i] !== word[i]) return false;
    this.pos += n;
    return true;
  }
}

export const ascii = (s: string): Uint8Array => Uint8Array.from(s, (c) => c.charCodeAt(0));
