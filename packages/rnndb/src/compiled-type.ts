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
  /** true when every value fits in 32 bits through the whole decode: the fast path applies */
  fits32: boolean;
}

export interface CValue {
  name: string;
  value: bigint;
  /** value as a number when it fits in 32 bits, else -1 */
  value32: number;
}

export interface CField {
  name: string;
  low: number;
  high: number;
  type: CType;
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
      fits32: t.shr === 0 && t.add === 0,
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
          value32: v.value <= 0xffffffffn ? Number(v.value) : -1,
        });
      }
    } else if (t.kind === "bitset") {
      for (const f of t.fields) {
        const r = evalConds(f.conds, this.sel);
        if (r === "assumed" || r === "excluded") c.partial = true;
        if (r === "nomatch" || r === "excluded") continue;
        const ft = this.compile(f.type);
        c.partial ||= ft.partial;
        c.fits32 &&= f.high < 32 && ft.fits32;
        c.fields.push({ name: f.name, low: f.low, high: f.high, type: ft });
      }
    } else if (t.kind === "spectype") {
      const target = this.db.spectypes.get(t.name);
      c.target = target ? this.compile(target) : undefined;
      c.fits32 = false;
    } else if (t.kind === "float" || t.kind === "fixed" || t.kind === "ufixed") {
      c.fits32 = false;
    }
    return c;
  }
}
