import type { CType } from "./compiled-type";
import { altHex, cFloat } from "./format";

const MASK64 = (1n << 64n) - 1n;

/**
 * Decodes a register or bitfield value to text exactly as envytools' rnndec_decodeval does
 * (without colours): bitsets as `{ FIELD = v | FLAG | ENUMVAL | 0xleftover }`, enums by name,
 * numbers per their type. `width` is the register's or field's width in bits.
 */
export function decodeValue(type: CType | undefined, lo: number, hi: number, width: number): string {
  if (type === undefined) return hi === 0 ? altHex(lo) : altHex((BigInt(hi) << 32n) | BigInt(lo));
  if (hi === 0 && type.fits32) return decode32(type, lo >>> 0, width);
  return decode64(type, (BigInt(hi >>> 0) << 32n) | BigInt(lo >>> 0), width);
}

function fieldMask32(low: number, high: number): number {
  const w = high - low + 1;
  return w >= 32 ? 0xffffffff : ((1 << w) - 1) >>> 0;
}

/** The common case: value and every field within 32 bits, no shr/add on the way. */
function decode32(t: CType, v: number, width: number): string {
  switch (t.kind) {
    case "enum":
      for (const e of t.values) if (e.value32 === v) return e.name;
      return altHex(v);
    case "bitset": {
      let res = "";
      let mask = 0;
      for (const f of t.fields) {
        const fm = fieldMask32(f.low, f.high);
        const sval = (v >>> f.low) & fm;
        mask |= fm << f.low;
        if (f.type.kind === "boolean" && sval <= 1) {
          if (sval === 1) res = res ? `${res} | ${f.name}` : f.name;
          continue;
        }
        const sub = decode32or64(f.type, sval >>> 0, f.high - f.low + 1);
        res = res ? `${res} | ${f.name} = ${sub}` : `${f.name} = ${sub}`;
      }
      const left = (v & ~mask) >>> 0;
      if (left) res = res ? `${res} | ${altHex(left)}` : altHex(left);
      return `{ ${res || "0"} }`;
    }
    case "hex":
      return altHex(v);
    case "uint":
      return v.toString();
    case "int":
      if (width <= 32 && v >= 2 ** (width - 1)) return `-${2 ** width - v}`;
      return v.toString();
    default:
      return decode64(t, BigInt(v), width);
  }
}

function decode32or64(t: CType, v: number, width: number): string {
  return t.fits32 ? decode32(t, v, width) : decode64(t, BigInt(v), width);
}

function decode64(t: CType, value: bigint, width: number): string {
  if (t.shr) value = (value << BigInt(t.shr)) & MASK64;
  if (t.add) value = (value + BigInt(t.add)) & MASK64;
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
