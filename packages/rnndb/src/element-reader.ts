import type {
  Diagnostic,
  RawBitfield,
  RawContainer,
  RawDatabase,
  RawElem,
  RawType,
  RawValue,
  RawVarInfo,
} from "./model";
import { emptyType } from "./model";
import type { XmlElement } from "./xml-tree";

export const DOC_TAGS = new Set(["brief", "doc"]);
const REG_WIDTHS: Record<string, number> = { reg8: 8, reg16: 16, reg32: 32, reg64: 64 };

/**
 * Reads the register-level elements (registers, arrays, stripes, use-group, bitfields, values)
 * and their attributes; the file-level loader extends it with the top-level entities, which may
 * appear anywhere (hence the abstract `tryTop`).
 */
export abstract class ElementReader {
  protected file = "";

  constructor(protected readonly db: RawDatabase) {}

  protected abstract tryTop(el: XmlElement): boolean;

  protected report(el: XmlElement, message: string): void {
    const d: Diagnostic = { file: this.file, line: el.line, message };
    this.db.diagnostics.push(d);
  }

  protected wrongTag(el: XmlElement, parent: string): void {
    this.report(el, `unknown element <${el.name}> in <${parent}>`);
  }

  protected wrongAttr(el: XmlElement, attr: string): void {
    this.report(el, `unknown attribute "${attr}" on <${el.name}>`);
  }

  protected num(el: XmlElement, attr: string): number {
    return Number(this.bignum(el, attr));
  }

  protected bignum(el: XmlElement, attr: string): bigint {
    const text = el.attrs[attr] ?? "";
    const hex = /[xX]/.test(text);
    const body = hex ? text.replace(/^0[xX]/, "") : text;
    if (!(hex ? /^[0-9a-fA-F]+$/ : /^[0-9]+$/).test(body)) {
      this.report(el, `invalid number "${text}" in attribute "${attr}"`);
      return 0n;
    }
    return BigInt(hex ? `0x${body}` : body);
  }

  protected bool(el: XmlElement, attr: string): boolean {
    const v = el.attrs[attr];
    if (v === "yes" || v === "1") return true;
    if (v !== "no" && v !== "0") this.report(el, `invalid boolean "${v}" in attribute "${attr}"`);
    return false;
  }

  /** Reads varset/variants/prefix; returns false for any other attribute. */
  protected varAttr(attr: string, value: string, vi: RawVarInfo): boolean {
    if (attr === "varset") vi.varset = value;
    else if (attr === "variants") vi.variants = value;
    else if (attr === "prefix") vi.prefix = value;
    else return false;
    return true;
  }

  protected typeAttr(el: XmlElement, attr: string, ti: RawType): boolean {
    switch (attr) {
      case "type":
        ti.name = el.attrs[attr];
        return true;
      case "shr":
        ti.shr = this.num(el, attr);
        return true;
      case "add":
        ti.add = this.num(el, attr);
        return true;
      case "radix":
        ti.radix = this.num(el, attr);
        return true;
      case "min":
      case "max":
      case "align":
        return true;
      default:
        return false;
    }
  }

  protected typeTag(el: XmlElement, ti: RawType): boolean {
    if (el.name === "value") {
      const v = this.parseValue(el);
      if (v) ti.values.push(v);
      return true;
    }
    if (el.name === "bitfield") {
      const bf = this.parseBitfield(el);
      if (bf) ti.bitfields.push(bf);
      return true;
    }
    return false;
  }

  /** Children that are only documentation or top-level entities (allowed anywhere). */
  protected otherChildren(el: XmlElement, accept: (child: XmlElement) => boolean): void {
    for (const child of el.children) {
      if (!accept(child) && !this.tryTop(child) && !DOC_TAGS.has(child.name)) this.wrongTag(child, el.name);
    }
  }

  protected parseValue(el: XmlElement): RawValue | undefined {
    let name: string | undefined;
    let value: bigint | undefined;
    const varinfo: RawVarInfo = {};
    for (const [attr, v] of Object.entries(el.attrs)) {
      if (attr === "name") name = v;
      else if (attr === "value") value = this.bignum(el, attr);
      else if (attr === "prefix" || !this.varAttr(attr, v, varinfo)) this.wrongAttr(el, attr);
    }
    this.otherChildren(el, () => false);
    if (name === undefined) {
      this.report(el, "nameless <value>");
      return undefined;
    }
    return { name, value, varinfo };
  }

  protected parseBitfield(el: XmlElement): RawBitfield | undefined {
    let name: string | undefined;
    let low: number | undefined;
    let high: number | undefined;
    const varinfo: RawVarInfo = {};
    const type = emptyType();
    for (const [attr, v] of Object.entries(el.attrs)) {
      if (attr === "name") name = v;
      else if (attr === "low") low = this.num(el, attr);
      else if (attr === "high") high = this.num(el, attr);
      else if (attr === "pos") low = high = this.num(el, attr);
      else if (attr === "prefix" || (!this.varAttr(attr, v, varinfo) && !this.typeAttr(el, attr, type)))
        this.wrongAttr(el, attr);
    }
    this.otherChildren(el, (c) => this.typeTag(c, type));
    if (name === undefined) {
      this.report(el, "nameless <bitfield>");
      return undefined;
    }
    if (low === undefined || high === undefined || high < low || high > 63) {
      this.report(el, `bitfield ${name} has a wrong placement`);
      return undefined;
    }
    return { name, low, high, varinfo, type };
  }

  protected parseElems(el: XmlElement, into: RawElem[]): void {
    this.otherChildren(el, (c) => {
      const elem = this.tryElem(c);
      if (elem === null) return false;
      if (elem) into.push(elem);
      return true;
    });
  }

  /** null: not an element tag; undefined: an element tag that was reported and dropped. */
  protected tryElem(el: XmlElement): RawElem | null | undefined {
    if (el.name === "use-group") {
      const name = el.attrs.name;
      for (const attr of Object.keys(el.attrs)) if (attr !== "name") this.wrongAttr(el, attr);
      if (name === undefined) {
        this.report(el, "nameless <use-group>");
        return undefined;
      }
      return { kind: "use-group", name, file: this.file, line: el.line };
    }
    if (el.name === "array" || el.name === "stripe") {
      const varinfo: RawVarInfo = {};
      const c: RawContainer = {
        kind: el.name,
        name: undefined,
        offset: 0,
        length: 1,
        stride: 0,
        varinfo,
        children: [],
        file: this.file,
        line: el.line,
      };
      for (const [attr, v] of Object.entries(el.attrs)) {
        if (attr === "name") c.name = v;
        else if (attr === "offset") c.offset = this.num(el, attr);
        else if (attr === "length") c.length = this.num(el, attr);
        else if (attr === "stride") c.stride = this.num(el, attr);
        else if (!this.varAttr(attr, v, varinfo)) this.wrongAttr(el, attr);
      }
      this.parseElems(el, c.children);
      return c;
    }
    const width = REG_WIDTHS[el.name];
    if (width === undefined) return null;
    const varinfo: RawVarInfo = {};
    const type = emptyType();
    let name: string | undefined;
    let offset = 0;
    let length = 1;
    let stride = 0;
    let access: "r" | "w" | "rw" = "rw";
    for (const [attr, v] of Object.entries(el.attrs)) {
      if (attr === "name") name = v;
      else if (attr === "offset") offset = this.num(el, attr);
      else if (attr === "length") length = this.num(el, attr);
      else if (attr === "stride") stride = this.num(el, attr);
      else if (attr === "access") {
        if (v === "r" || v === "w" || v === "rw") access = v;
        else this.report(el, `wrong access type "${v}"`);
      } else if (attr === "prefix" || (!this.varAttr(attr, v, varinfo) && !this.typeAttr(el, attr, type)))
        this.wrongAttr(el, attr);
    }
    this.otherChildren(el, (c) => this.typeTag(c, type));
    if (name === undefined) {
      this.report(el, "nameless register");
      return undefined;
    }
    return {
      kind: "reg",
      name,
      offset,
      width,
      length,
      stride,
      access,
      varinfo,
      type,
      file: this.file,
      line: el.line,
    };
  }
}
