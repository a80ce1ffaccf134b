import type { CType } from "./compiled-type";
import { altHex, cFloat } from "./format";

const MASK64 = (1n << 64n) - 1n;

/**
 * Where decoded text goes: the annotator's output buffer writes it in place (no string per
 * access); `decodeValue` collects it into a string.
 */
export interface DecodeOut {
  text(s: string): void;
  /** printf("%#x") of a non-negative integer below 2^53 */
  altHex(v: number): void;
  /** decimal of a non-negative integer below 2^53 */
  dec(v: number): void;
}

class StringOut implements DecodeOut {
  s = "";
  text(t: string): void {
    this.s += t;
  }
  altHex(v: number): void {
    this.s += altHex(v);
  }
  dec(v: number): void {
    this.s += v.toString();
  }
}

/**
 * Decodes a register or bitfield value to text exactly as envytools' rnndec_decodeval does
 * (without colours): bitsets as `{ FIELD = v | FLAG | ENUMVAL | 0xleftover }`, enums by name,
 * numbers per their type. `width` is the register's or field's width in bits.
 */
export function decodeValue(type: CType | undefined, lo: number, hi: number, width: number): string {
  const out = new StringOut();
  decodeInto(out, type, lo, hi, width);
  return out.s;
}

/** `decodeValue`, written to `out`. */
export function decodeInto(
  out: DecodeOut,
  type: CType | undefined,
  lo: number,
  hi: number,
  width: number,
): void {
  if (hi === 0) {
    if (type === undefined) out.altHex(lo >>> 0);
    else decodeNum(out, type, lo >>> 0, width);
    return;
  }
  const v = (BigInt(hi >>> 0) << 32n) | BigInt(lo >>> 0);
  out.text(type === undefined ? altHex(v) : decode64(type, v, width));
}

const TWO32 = 0x100000000;

/**
 * The common case in plain numbers: a value below 2^32 before shr/add and below 2^53 after, so
 * every step is exact. Anything else goes to the BigInt path, which gives the same text.
 */
function decodeNum(out: DecodeOut, t: CType, v: number, width: number): void {
  if (t.shr || t.add) {
    const shifted = v * 2 ** t.shr + t.add;
    if (!Number.isSafeInteger(shifted)) {
      out.text(decode64(t, BigInt(v), width));
      return;
    }
    v = shifted;
  }
  switch (t.kind) {
    case "enum":
      for (const e of t.values) {
        if (e.valueNum === v) {
          out.text(e.name);
          return;
        }
      }
      out.altHex(v);
      return;
    case "bitset": {
      if (v >= TWO32 || !t.fits32) break;
      out.text("{ ");
      let any = false;
      let mask = 0;
      const fields = t.fields;
      for (let i = 0; i < fields.length; i++) {
        const f = fields[i]!;
        const fm = f.mask32;
        const sval = ((v >>> f.low) & fm) >>> 0;
        mask |= fm << f.low;
        if (f.flag && sval <= 1) {
          if (sval === 0) continue;
          out.text(any ? f.sepName : f.name);
          any = true;
          continue;
        }
        out.text(any ? f.sepNameEq : f.nameEq);
        decodeNum(out, f.type, sval, f.high - f.low + 1);
        any = true;
      }
      const left = (v & ~mask) >>> 0;
      if (left) {
        if (any) out.text(" | ");
        out.altHex(left);
        any = true;
      }
      out.text(any ? " }" : "0 }");
      return;
    }
    case "hex":
      out.altHex(v);
      return;
    case "uint":
      out.dec(v);
      return;
    case "int":
      if (width > 52) break;
      if (v >= 2 ** (width - 1)) {
        out.text("-");
        out.dec(2 ** width - v);
      } else out.dec(v);
      return;
    default:
      break;
  }
  out.text(decode64Shifted(t, BigInt(v), width));
}

function decode64(t: CType, value: bigint, width: number): string {
  if (t.shr) value = (value << BigInt(t.shr)) & MASK64;
  if (t.add) value = (value + BigInt(t.add)) & MASK64;
  return decode64Shifted(t, value, width);
}

/** The general path, on a value shr and add were already applied to. */
function decode64Shifted(t: CType, value: bigint, width: number): string {
  switch (t.kind) {
    case "enum":
      for (const e of t.values) if (e.value === value) return e.name;
      return altHex(value);
    case "bitset": {
      let res = "";
      let mask = 0n;
      for (const f of t.fields) {
        const fm = ((1n << BigInt(f.high + 1)) - 1n) ^ ((1n << BigInt(f.low)) - 1n);
        const sval = (value & fm) >> BigInt(f.low);
        mask |= fm;
        if (f.type.kind === "boolean" && sval <= 1n) {
          if (sval === 1n) res = res ? `${res} | ${f.name}` : f.name;
          continue;
        }
        const sub = decode64(f.type, sval, f.high - f.low + 1);
        res = res ? `${res} | ${f.name} = ${sub}` : `${f.name} = ${sub}`;
      }
      const left = value & ~mask & MASK64;
      if (left) res = res ? `${res} | ${altHex(left)}` : altHex(left);
      return `{ ${res || "0"} }`;
    }
    case "spectype":
      return t.target ? decode64(t.target, value, width) : altHex(value);
    case "hex":
      return altHex(value);
    case "uint":
      return value.toString();
    case "int": {
      const top = 1n << BigInt(width - 1);
      return value & top ? `-${(1n << BigInt(width)) - value}` : value.toString();
    }
    case "fixed":
    case "ufixed": {
      const scale = 2 ** t.radix;
      const raw = value.toString(16).padStart(8, "0");
      if (t.kind === "fixed" && value & (1n << BigInt(width - 1)))
        return `-${cFloat(Number((1n << BigInt(width)) - value) / scale)} (${raw})`;
      return `${cFloat(Number(value) / scale)} (${raw})`;
    }
    case "boolean":
      if (value === 0n) return "FALSE";
      if (value === 1n) return "TRUE";
      return decodeFloat(value, width);
    case "float":
      return decodeFloat(value, width);
  }
}

const scratch = new DataView(new ArrayBuffer(8));

function decodeFloat(value: bigint, width: number): string {
  if (width === 64) {
    scratch.setBigUint64(0, value);
    return cFloat(scratch.getFloat64(0));
  }
  if (width === 32) {
    scratch.setUint32(0, Number(value & 0xffffffffn));
    return cFloat(scratch.getFloat32(0));
  }
  if (width === 16) return cFloat(half(Number(value & 0xffffn)));
  return altHex(value);
}

function half(h: number): number {
  const sign = h & 0x8000 ? -1 : 1;
  const exp = (h >> 10) & 0x1f;
  const frac = h & 0x3ff;
  if (exp === 0) return sign * frac * 2 ** -24;
  if (exp === 0x1f) return frac ? Number.NaN : sign * Number.POSITIVE_INFINITY;
  return sign * (1 + frac / 1024) * 2 ** (exp - 15);
}

/** The BigInt path for any value: the reference the number path must agree with. */
export function decodeValueExact(type: CType | undefined, value: bigint, width: number): string {
  return type === undefined ? altHex(value) : decode64(type, value & MASK64, width);
}
