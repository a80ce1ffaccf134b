// One numeric column of a block. Each column picks the smallest of three encodings:
//   plain:  v[i] = base + u[i]                       (frame of reference)
//   delta:  v[0] = base; v[i] = v[i-1] + step + u[i]  (line numbers, byte offsets, timestamps)
//   sparse: v[i] = base except at a few listed rows   (flags, widths, high halves, map ids)
// with u[] stored in 0 (constant), 1, 2, 4 or 8 bytes. Most columns of a real trace (address high
// halves, PC, PID, map id, flags, BAR) are constant within a block and cost 24 bytes; timestamps
// and line lengths take 1-2 bytes per event. It is cheap: two passes over typed arrays per block.
import { aligned, type ByteReader, type ByteWriter } from "./bytes";
import { EventStoreFormatError } from "./format";

export type NumericArray =
  | Uint8Array
  | Int8Array
  | Uint16Array
  | Int16Array
  | Uint32Array
  | Int32Array
  | Float64Array;

const MODE_PLAIN = 0;
const MODE_DELTA = 1;
const MODE_SPARSE = 2;
/** Bytes per exception of a sparse column: u32 row + f64 value. */
const SPARSE_COST = 12;

let scratch = new Float64Array(4096);

function widthFor(range: number): number {
  if (range === 0) return 0;
  if (range <= 0xff) return 1;
  if (range <= 0xffff) return 2;
  if (range <= 0xffffffff) return 4;
  return 8;
}

/**
 * `tryDelta: false` skips the delta candidate (two fewer operations per value) for columns that
 * are never sorted-like: kinds, flags, values, map ids.
 */
export function encodeColumn(out: ByteWriter, column: NumericArray, n: number, tryDelta = true): void {
  // Every column is first copied into one Float64Array (a native conversion): the loops below then
  // see a single array type. Run on seven typed-array types, their element loads went megamorphic
  // and this function measured as the largest cost of ingest.
  if (scratch.length < n) scratch = new Float64Array(Math.max(n, scratch.length * 2));
  const v = scratch;
  v.set(column.subarray(0, n));
  let min = n > 0 ? v[0]! : 0;
  let max = min;
  let dMin = Number.POSITIVE_INFINITY;
  let dMax = Number.NEGATIVE_INFINITY;
  let prev = min;
  const first = min;
  let others = 0;
  if (tryDelta) {
    for (let i = 1; i < n; i++) {
      const x = v[i]!;
      if (x !== first) others++;
      if (x < min) min = x;
      else if (x > max) max = x;
      const d = x - prev;
      if (d < dMin) dMin = d;
      if (d > dMax) dMax = d;
      prev = x;
    }
  } else {
    for (let i = 1; i < n; i++) {
      const x = v[i]!;
      if (x !== first) others++;
      if (x < min) min = x;
      else if (x > max) max = x;
    }
  }
  const plainWidth = widthFor(max - min);
  const deltaWidth = n > 1 && tryDelta ? widthFor(dMax - dMin) : 8;
  const delta = deltaWidth < plainWidth;
  const width = delta ? deltaWidth : plainWidth;
  if (others * SPARSE_COST + 8 < (delta ? n - 1 : n) * width) {
    out.u8(MODE_SPARSE);
    out.u8(0);
    out.align8();
    out.f64(first);
    out.f64(others);
    for (let i = 1; i < n; i++) {
      const x = v[i]!;
      if (x === first) continue;
      out.u32(i);
      out.f64(x);
    }
    out.align8();
    return;
  }
  out.u8(delta ? MODE_DELTA : MODE_PLAIN);
  out.u8(width);
  out.align8();
  out.f64(delta ? v[0]! : min);
  out.f64(delta ? dMin : 0);
  if (width === 0) return;
  const count = delta ? n - 1 : n;
  out.ensure(count * width + 8);
  const at = out.pos;
  const buf = out.buf.buffer;
  if (delta) {
    if (width === 1) {
      const u = new Uint8Array(buf, at, count);
      for (let i = 1; i < n; i++) u[i - 1] = v[i]! - v[i - 1]! - dMin;
    } else if (width === 2) {
      const u = new Uint16Array(buf, at, count);
      for (let i = 1; i < n; i++) u[i - 1] = v[i]! - v[i - 1]! - dMin;
    } else if (width === 4) {
      const u = new Uint32Array(buf, at, count);
      for (let i = 1; i < n; i++) u[i - 1] = v[i]! - v[i - 1]! - dMin;
    } else {
      const u = new Float64Array(buf, at, count);
      for (let i = 1; i < n; i++) u[i - 1] = v[i]! - v[i - 1]! - dMin;
    }
  } else if (width === 1) {
    const u = new Uint8Array(buf, at, count);
    for (let i = 0; i < n; i++) u[i] = v[i]! - min;
  } else if (width === 2) {
    const u = new Uint16Array(buf, at, count);
    for (let i = 0; i < n; i++) u[i] = v[i]! - min;
  } else if (width === 4) {
    const u = new Uint32Array(buf, at, count);
    for (let i = 0; i < n; i++) u[i] = v[i]! - min;
  } else {
    const u = new Float64Array(buf, at, count);
    for (let i = 0; i < n; i++) u[i] = v[i]! - min;
  }
  out.pos += count * width;
  out.align8();
}

let decoded = new Float64Array(4096);

/**
 * Decodes the first `m` (default all) of a column's n values into `target` (a typed array of the
 * column's own type) and moves the reader past the whole column. The loops write one Float64Array
 * and a native `set` converts it into the target: writing the seven target types and reading the
 * four payload types from the same loop made the element accesses megamorphic, and decoding the
 * largest cost of serving an events page.
 */
export function decodeColumn(r: ByteReader, n: number, target: NumericArray, m = n): void {
  const mode = r.u8();
  const width = r.u8();
  r.align8();
  const base = r.f64();
  const step = r.f64();
  if (mode === MODE_SPARSE) {
    target.fill(base, 0, m);
    for (let k = 0; k < step; k++) {
      const row = r.u32();
      const x = r.f64();
      if (row >= n) throw new EventStoreFormatError("sparse column row out of range");
      if (row < m) target[row] = x;
    }
    r.align8();
    return;
  }
  if (mode !== MODE_PLAIN && mode !== MODE_DELTA)
    throw new EventStoreFormatError(`unknown column mode ${mode}`);
  if (width !== 0 && width !== 1 && width !== 2 && width !== 4 && width !== 8)
    throw new EventStoreFormatError(`unknown column width ${width}`);
  if (n === 0) return;
  if (mode === MODE_PLAIN && width === 0) {
    target.fill(base, 0, m);
    return;
  }
  if (decoded.length < m) decoded = new Float64Array(Math.max(m, decoded.length * 2));
  const v = decoded;
  if (mode === MODE_PLAIN) {
    const b = aligned(r.bytes(n * width));
    r.align8();
    if (width === 1) for (let i = 0; i < m; i++) v[i] = base + b[i]!;
    else if (width === 2) {
      const u = new Uint16Array(b.buffer, b.byteOffset, n);
      for (let i = 0; i < m; i++) v[i] = base + u[i]!;
    } else if (width === 4) {
      const u = new Uint32Array(b.buffer, b.byteOffset, n);
      for (let i = 0; i < m; i++) v[i] = base + u[i]!;
    } else {
      const u = new Float64Array(b.buffer, b.byteOffset, n);
      for (let i = 0; i < m; i++) v[i] = base + u[i]!;
    }
  } else {
    v[0] = base;
    let x = base;
    if (width === 0) for (let i = 1; i < m; i++) v[i] = x += step;
    else {
      const b = aligned(r.bytes((n - 1) * width));
      r.align8();
      if (width === 1) for (let i = 1; i < m; i++) v[i] = x += step + b[i - 1]!;
      else if (width === 2) {
        const u = new Uint16Array(b.buffer, b.byteOffset, n - 1);
        for (let i = 1; i < m; i++) v[i] = x += step + u[i - 1]!;
      } else if (width === 4) {
        const u = new Uint32Array(b.buffer, b.byteOffset, n - 1);
        for (let i = 1; i < m; i++) v[i] = x += step + u[i - 1]!;
      } else {
        const u = new Float64Array(b.buffer, b.byteOffset, n - 1);
        for (let i = 1; i < m; i++) v[i] = x += step + u[i - 1]!;
      }
    }
  }
  target.set(v.subarray(0, m));
}
