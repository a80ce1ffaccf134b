import type { PreparedDatabase } from "./prepare";
import type { PType } from "./prepared";
import { evalConds, type Selection } from "./selection";

/** A type with the items of one selection only, ready for decoding. */
export interface CType {
  kind: "hex" | "uint" | "int" | "boolean" | "float" | "fixed" | "ufixed" | "enum" | "bitset" | "spectype";
  shr: number;
  add: number;
  radix: number;
  values: CValue[];
  fields: CField[];
  /** spectype: the type it stands for */
  target: CType | undefined;
  /** true when, the chip being unknown to the database, items were left out or assumed */
  partial: boolean;
  /** bitsets: every field lies in the low 32 bits (the number path can extract them) */
  fits32: boolean;
}

export interface CValue {
  name: string;
  value: bigint;
  /** value as a number when exact (below 2^53), else NaN (never equal) */
  valueNum: number;
}

export interface CField {
  name: string;
  low: number;
  high: number;
  type: CType;
  /** mask of the field's width, unshifted, when it lies in the low 32 bits */
  mask32: number;
  /** a one-bit-wide flag printed by name alone */
  flag: boolean;
  /** the text around the field's value, ready-made: the decoder's hot loop builds no strings */
  sepName: string;
  nameEq: string;
  sepNameEq: string;
}

/** Compiles types for one selection, each at most once. */
export class TypeCompiler {
  private readonly done = new Map<PType, CType>();

  constructor(
    private readonly db: PreparedDatabase,
    private readonly sel: Selection,
  ) {}

  compile(t: PType): CType {
    let c = this.done.get(t);
    if (c) return c;
    c = {
      kind: t.kind,
      shr: t.shr,
      add: t.add,
      radix: t.kind === "fixed" || t.kind === "ufixed" ? t.radix : 0,
      values: [],
      fields: [],
      target: undefined,
      partial: false,
      fits32: true,
    };
    this.done.set(t, c);
    if (t.kind === "enum") {
      for (const v of t.values) {
        const r = evalConds(v.conds, this.sel);
        if (r === "assumed" || r === "excluded") c.partial = true;
        if (r === "nomatch" || r === "excluded" || v.value === undefined) continue;
        c.values.push({
          name: v.name,
          value: v.value,
          valueNum: v.value <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(v.value) : Number.NaN,
        });
      }
    } else if (t.kind === "bitset") {
      for (const f of t.fields) {
        const r = evalConds(f.conds, this.sel);
        if (r === "assumed" || r === "excluded") c.partial = true;
        if (r === "nomatch" || r === "excluded") continue;
        const ft = this.compile(f.type);
        c.partial ||= ft.partial;
        c.fits32 &&= f.high < 32;
        const w = f.high - f.low + 1;
        c.fields.push({
          name: f.name,
          low: f.low,
          high: f.high,
          type: ft,
          mask32: w >= 32 ? 0xffffffff : ((1 << w) - 1) >>> 0,
          flag: ft.kind === "boolean",
          sepName: ` | ${f.name}`,
          nameEq: `${f.name} = `,
          sepNameEq: ` | ${f.name} = `,
        });
      }
    } else if (t.kind === "spectype") {
      const target = this.db.spectypes.get(t.name);
      c.target = target ? this.compile(target) : undefined;
    }
    return c;
  }
}
