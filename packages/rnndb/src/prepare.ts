import type { Diagnostic, RawBitfield, RawDatabase, RawElem, RawType, RawValue, RawVarInfo } from "./model";
import type { PBitfield, PDomain, PElem, PType, PValue, VarCond } from "./prepared";

/** Variant context inherited down the tree, as envytools' rnnvarinfo after prepvarinfo. */
interface VarCtx {
  prefenum: string | undefined;
  varset: string | undefined;
  conds: VarCond[];
  dead: boolean;
}

const ROOT: VarCtx = { prefenum: undefined, varset: undefined, conds: [], dead: false };

export interface PreparedDatabase {
  raw: RawDatabase;
  domains: Map<string, PDomain>;
  spectypes: Map<string, PType>;
  /** Declaration order of each enum's values: the axis variant ranges are taken over. */
  enumOrder(name: string): string[] | undefined;
  diagnostics: Diagnostic[];
}

/**
 * Resolves variants (ranges over an enum's declaration order, intersected with the parent's),
 * expands use-group, and resolves types, following envytools' rnn.c so that names and decodes
 * match demmio's. Dead items (present on no variant) are dropped here.
 */
export function prepareDatabase(raw: RawDatabase): PreparedDatabase {
  return new Preparer(raw).run();
}

class Preparer {
  private readonly diagnostics: Diagnostic[] = [];
  private readonly namedTypes = new Map<string, PType>();
  private readonly spectypes = new Map<string, PType>();
  private where = "";
  private readonly enumIndex = new Map<string, Map<string, number>>();

  constructor(private readonly raw: RawDatabase) {}

  run(): PreparedDatabase {
    const domains = new Map<string, PDomain>();
    for (const [name, st] of this.raw.spectypes) {
      this.where = `spectype ${name}`;
      this.spectypes.set(name, this.type(st, ROOT, 32));
    }
    for (const dom of this.raw.domains.values()) {
      this.where = `domain ${dom.name}`;
      const ctx = this.varCtx(dom.varinfo, undefined);
      const children: PElem[] = [];
      for (const e of dom.children) this.elem(e, ctx, dom.width, children, 0);
      domains.set(dom.name, { name: dom.name, width: dom.width, children });
    }
    const raw = this.raw;
    return {
      raw,
      domains,
      spectypes: this.spectypes,
      enumOrder: (name) => raw.enums.get(name)?.values.map((v) => v.name),
      diagnostics: [...raw.diagnostics, ...this.diagnostics],
    };
  }

  private report(message: string): void {
    this.diagnostics.push({ file: "", line: 0, message: `${this.where}: ${message}` });
  }

  private varCtx(vi: RawVarInfo, parent: VarCtx | undefined): VarCtx {
    let prefenum = parent?.prefenum;
    if (vi.prefix !== undefined) {
      prefenum = vi.prefix === "none" || !this.raw.enums.has(vi.prefix) ? undefined : vi.prefix;
    }
    // Conditions are shared with the parent until this item narrows them (most items do not).
    let conds = parent ? parent.conds : [];
    let varsetName = vi.varset;
    if (prefenum === undefined && varsetName === undefined && parent) varsetName = parent.varset;
    const ctx: VarCtx = { prefenum, varset: varsetName, conds, dead: false };
    if (vi.variants === undefined) return ctx;
    conds = conds.map((c) => ({ ...c, allowed: c.allowed.slice() }));
    ctx.conds = conds;
    const setName = varsetName ?? prefenum;
    const en = setName === undefined ? undefined : this.raw.enums.get(setName);
    if (!en) {
      this.report(`variants "${vi.variants}" without an active varset`);
      return ctx;
    }
    let index = this.enumIndex.get(en.name);
    if (!index) {
      index = new Map();
      for (const [i, v] of en.values.entries()) if (!index.has(v.name)) index.set(v.name, i);
      this.enumIndex.set(en.name, index);
    }
    const names = index;
    const n = en.values.length;
    let cond = conds.find((c) => c.enumName === en.name);
    if (!cond) {
      cond = { enumName: en.name, allowed: new Uint8Array(n).fill(1), all: true };
      conds.push(cond);
    }
    const listed = new Uint8Array(n);
    const find = (name: string): number => {
      const i = names.get(name) ?? -1;
      if (i < 0) this.report(`unknown variant ${name} of ${en.name}`);
      return i;
    };
    for (const item of vi.variants.split(" ")) {
      if (item === "") continue;
      const m = /^([^:-]*)([:-])(.*)$/.exec(item);
      if (!m) {
        const i = find(item);
        if (i >= 0) listed[i] = 1;
        continue;
      }
      const lo = m[1] ? find(m[1]) : 0;
      let hi = n;
      if (m[3]) {
        hi = find(m[3]);
        if (hi >= 0 && m[2] === "-") hi++;
      }
      if (lo < 0 || hi < 0) continue;
      for (let i = lo; i < hi; i++) listed[i] = 1;
    }
    let any = false;
    let all = true;
    for (let i = 0; i < n; i++) {
      const on = cond.allowed[i]! & listed[i]!;
      cond.allowed[i] = on;
      any ||= on === 1;
      all &&= on === 1;
    }
    cond.all = all;
    ctx.dead = !any;
    return ctx;
  }

  private elem(e: RawElem, parent: VarCtx, dwidth: number, out: PElem[], depth: number): void {
    if (depth > 64) {
      this.report("elements nested too deep (recursive group?)");
      return;
    }
    if (e.kind === "use-group") {
      const group = this.raw.groups.get(e.name);
      if (!group) {
        this.report(`group ${e.name} not found`);
        return;
      }
      // envytools turns a use-group into an unnamed stripe of length 1 holding copies of the group.
      const children: PElem[] = [];
      for (const c of group) this.elem(c, parent, dwidth, children, depth + 1);
      out.push({
        kind: "stripe",
        name: undefined,
        offset: 0,
        length: 1,
        stride: 0,
        conds: parent.conds,
        children,
      });
      return;
    }
    const ctx = this.varCtx(e.varinfo, parent);
    if (ctx.dead) return;
    let stride = e.stride;
    if (e.length !== 1 && stride === 0) {
      if (e.kind !== "reg") {
        this.report(`${e.name ?? "stripe"} has length ${e.length} but no stride`);
        return;
      }
      stride = e.width / dwidth;
    }
    if (e.kind === "reg") {
      out.push({
        kind: "reg",
        name: e.name,
        offset: e.offset,
        width: e.width,
        length: e.length,
        stride,
        access: e.access,
        conds: ctx.conds,
        type: this.type(e.type, ctx, e.width),
      });
      return;
    }
    const children: PElem[] = [];
    for (const c of e.children) this.elem(c, ctx, dwidth, children, depth + 1);
    out.push({
      kind: e.kind,
      name: e.name,
      offset: e.offset,
      length: e.length,
      stride,
      conds: ctx.conds,
      children,
    });
  }

  private type(t: RawType, ctx: VarCtx, width: number): PType {
    const shr = t.shr;
    const add = t.add;
    const name = t.name;
    if (name !== undefined) {
      const en = this.raw.enums.get(name);
      if (en) {
        if (en.inline) return { kind: "enum", values: this.values(en.values, ctx), shr, add };
        return this.withShift(this.namedEnum(name), shr, add);
      }
      const bs = this.raw.bitsets.get(name);
      if (bs) {
        if (bs.inline) return { kind: "bitset", fields: this.fields(bs.bitfields, ctx), shr, add };
        return this.withShift(this.namedBitset(name), shr, add);
      }
      if (this.raw.spectypes.has(name)) return { kind: "spectype", name, shr, add };
      switch (name) {
        case "hex":
        case "uint":
        case "int":
        case "boolean":
        case "float":
          return { kind: name, shr, add };
        case "fixed":
        case "ufixed":
          return { kind: name, radix: t.radix, shr, add };
        case "bitfield":
          return { kind: "bitset", fields: this.fields(t.bitfields, ctx), shr, add };
        case "enum":
          return { kind: "enum", values: this.values(t.values, ctx), shr, add };
        default:
          this.report(`unknown type ${name}`);
          return { kind: "hex", shr, add };
      }
    }
    if (t.bitfields.length) return { kind: "bitset", fields: this.fields(t.bitfields, ctx), shr, add };
    if (t.values.length) return { kind: "enum", values: this.values(t.values, ctx), shr, add };
    return { kind: width === 1 ? "boolean" : "hex", shr, add };
  }

  private withShift(base: PType, shr: number, add: number): PType {
    return shr === 0 && add === 0 ? base : { ...base, shr, add };
  }

  private namedEnum(name: string): PType {
    let t = this.namedTypes.get(`enum:${name}`);
    if (!t) {
      const en = this.raw.enums.get(name)!;
      t = {
        kind: "enum",
        values: this.values(en.values, this.varCtx(en.varinfo, undefined)),
        shr: 0,
        add: 0,
      };
      this.namedTypes.set(`enum:${name}`, t);
    }
    return t;
  }

  private namedBitset(name: string): PType {
    let t = this.namedTypes.get(`bitset:${name}`);
    if (!t) {
      const bs = this.raw.bitsets.get(name)!;
      // Registered before its fields are prepared, so a bitset referring to itself terminates.
      const fields: PBitfield[] = [];
      t = { kind: "bitset", fields, shr: 0, add: 0 };
      this.namedTypes.set(`bitset:${name}`, t);
      fields.push(...this.fields(bs.bitfields, this.varCtx(bs.varinfo, undefined)));
    }
    return t;
  }

  private values(values: RawValue[], parent: VarCtx): PValue[] {
    const out: PValue[] = [];
    for (const v of values) {
      const ctx = this.varCtx(v.varinfo, parent);
      if (!ctx.dead) out.push({ name: v.name, value: v.value, conds: ctx.conds });
    }
    return out;
  }

  private fields(fields: RawBitfield[], parent: VarCtx): PBitfield[] {
    const out: PBitfield[] = [];
    for (const f of fields) {
      const ctx = this.varCtx(f.varinfo, parent);
      if (ctx.dead) continue;
      out.push({
        name: f.name,
        low: f.low,
        high: f.high,
        conds: ctx.conds,
        type: this.type(f.type, ctx, f.high - f.low + 1),
      });
    }
    return out;
  }
}
