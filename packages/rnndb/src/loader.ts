import { createHash } from "node:crypto";
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
import { parseXml, type XmlElement } from "./xml-tree";

/** Where the XML files come from: a path relative to the database root -> its text. */
export type DatabaseSource = (file: string) => string;

export interface LoadedDatabase {
  raw: RawDatabase;
  /** sha256 over every file read (name and content): which database annotated a view. */
  version: string;
}

const DOC_TAGS = new Set(["brief", "doc"]);
const REG_WIDTHS: Record<string, number> = { reg8: 8, reg16: 16, reg32: 32, reg64: 64 };

/**
 * Loads an rnndb database from its entry file, following <import>s (paths relative to the
 * database root, each file read once). Unknown elements and attributes become diagnostics, as in
 * envytools' rnn.c; only unreadable or malformed files throw.
 */
export function loadDatabase(entry: string, source: DatabaseSource): LoadedDatabase {
  const raw: RawDatabase = {
    domains: new Map(),
    enums: new Map(),
    bitsets: new Map(),
    groups: new Map(),
    spectypes: new Map(),
    files: [],
    diagnostics: [],
  };
  const hash = createHash("sha256");
  new Loader(raw, source, hash).parseFile(entry);
  return { raw, version: hash.digest("hex").slice(0, 16) };
}

class Loader {
  private file = "";

  constructor(
    private readonly db: RawDatabase,
    private readonly source: DatabaseSource,
    private readonly hash: ReturnType<typeof createHash>,
  ) {}

  parseFile(file: string): void {
    if (this.db.files.includes(file)) return;
    this.db.files.push(file);
    const text = this.source(file);
    this.hash.update(`${file}\0${text}\0`);
    const doc = parseXml(text, file);
    const saved = this.file;
    this.file = file;
    for (const root of doc.children) {
      if (root.name !== "database") {
        this.report(root, `wrong top-level tag <${root.name}>`);
        continue;
      }
      for (const child of root.children) {
        if (!this.tryTop(child) && !DOC_TAGS.has(child.name)) this.wrongTag(child, "database");
      }
    }
    this.file = saved;
  }

  private report(el: XmlElement, message: string): void {
    const d: Diagnostic = { file: this.file, line: el.line, message };
    this.db.diagnostics.push(d);
  }

  private wrongTag(el: XmlElement, parent: string): void {
    this.report(el, `unknown element <${el.name}> in <${parent}>`);
  }

  private wrongAttr(el: XmlElement, attr: string): void {
    this.report(el, `unknown attribute "${attr}" on <${el.name}>`);
  }

  private num(el: XmlElement, attr: string): number {
    return Number(this.bignum(el, attr));
  }

  private bignum(el: XmlElement, attr: string): bigint {
    const text = el.attrs[attr] ?? "";
    const hex = /[xX]/.test(text);
    const body = hex ? text.replace(/^0[xX]/, "") : text;
    if (!(hex ? /^[0-9a-fA-F]+$/ : /^[0-9]+$/).test(body)) {
      this.report(el, `invalid number "${text}" in attribute "${attr}"`);
      return 0n;
    }
    return BigInt(hex ? `0x${body}` : body);
  }

  private bool(el: XmlElement, attr: string): boolean {
    const v = el.attrs[attr];
    if (v === "yes" || v === "1") return true;
    if (v !== "no" && v !== "0") this.report(el, `invalid boolean "${v}" in attribute "${attr}"`);
    return false;
  }

  /** Reads varset/variants/prefix; returns false for any other attribute. */
  private varAttr(attr: string, value: string, vi: RawVarInfo): boolean {
    if (attr === "varset") vi.varset = value;
    else if (attr === "variants") vi.variants = value;
    else if (attr === "prefix") vi.prefix = value;
    else return false;
    return true;
  }

  private typeAttr(el: XmlElement, attr: string, ti: RawType): boolean {
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

  private typeTag(el: XmlElement, ti: RawType): boolean {
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

  private tryTop(el: XmlElement): boolean {
    switch (el.name) {
      case "enum":
        this.parseEnum(el);
        return true;
      case "bitset":
        this.parseBitset(el);
        return true;
      case "group":
        this.parseGroup(el);
        return true;
      case "domain":
        this.parseDomain(el);
        return true;
      case "spectype":
        this.parseSpectype(el);
        return true;
      case "import": {
        const file = el.attrs.file;
        if (file === undefined) this.report(el, "<import> without a file attribute");
        else this.parseFile(file);
        return true;
      }
      case "copyright":
        return true;
      default:
        return false;
    }
  }

  /** Children that are only documentation or top-level entities (allowed anywhere). */
  private otherChildren(el: XmlElement, accept: (child: XmlElement) => boolean): void {
    for (const child of el.children) {
      if (!accept(child) && !this.tryTop(child) && !DOC_TAGS.has(child.name)) this.wrongTag(child, el.name);
    }
  }

  private parseValue(el: XmlElement): RawValue | undefined {
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

  private parseBitfield(el: XmlElement): RawBitfield | undefined {
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

  private parseEnum(el: XmlElement): void {
    const name = el.attrs.name;
    if (name === undefined) {
      this.report(el, "nameless <enum>");
      return;
    }
    const varinfo: RawVarInfo = {};
    let inline = false;
    let bare = false;
    for (const [attr, v] of Object.entries(el.attrs)) {
      if (attr === "name") continue;
      if (attr === "inline") inline = this.bool(el, attr);
      else if (attr === "bare") bare = this.bool(el, attr);
      else if (!this.varAttr(attr, v, varinfo)) this.wrongAttr(el, attr);
    }
    let cur = this.db.enums.get(name);
    if (!cur) {
      cur = { name, inline, bare, varinfo, values: [] };
      this.db.enums.set(name, cur);
    } else if (cur.inline !== inline || cur.bare !== bare || !sameVarInfo(cur.varinfo, varinfo)) {
      this.report(el, `merge of enum ${name} with different attributes`);
    }
    const target = cur;
    this.otherChildren(el, (c) => {
      if (c.name !== "value") return false;
      const v = this.parseValue(c);
      if (v) target.values.push(v);
      return true;
    });
  }

  private parseBitset(el: XmlElement): void {
    const name = el.attrs.name;
    if (name === undefined) {
      this.report(el, "nameless <bitset>");
      return;
    }
    const varinfo: RawVarInfo = {};
    let inline = false;
    let bare = false;
    for (const [attr, v] of Object.entries(el.attrs)) {
      if (attr === "name") continue;
      if (attr === "inline") inline = this.bool(el, attr);
      else if (attr === "bare") bare = this.bool(el, attr);
      else if (!this.varAttr(attr, v, varinfo)) this.wrongAttr(el, attr);
    }
    let cur = this.db.bitsets.get(name);
    if (!cur) {
      cur = { name, inline, bare, varinfo, bitfields: [] };
      this.db.bitsets.set(name, cur);
    } else if (cur.inline !== inline || cur.bare !== bare || !sameVarInfo(cur.varinfo, varinfo)) {
      this.report(el, `merge of bitset ${name} with different attributes`);
    }
    const target = cur;
    this.otherChildren(el, (c) => {
      if (c.name !== "bitfield") return false;
      const bf = this.parseBitfield(c);
      if (bf) target.bitfields.push(bf);
      return true;
    });
  }

  private parseSpectype(el: XmlElement): void {
    const name = el.attrs.name;
    if (name === undefined) {
      this.report(el, "nameless <spectype>");
      return;
    }
    const type = emptyType();
    for (const attr of Object.keys(el.attrs)) {
      if (attr !== "name" && !this.typeAttr(el, attr, type)) this.wrongAttr(el, attr);
    }
    if (this.db.spectypes.has(name)) {
      this.report(el, `duplicated spectype ${name}`);
      return;
    }
    this.db.spectypes.set(name, type);
    this.otherChildren(el, (c) => this.typeTag(c, type));
  }

  private parseGroup(el: XmlElement): void {
    const name = el.attrs.name;
    if (name === undefined) {
      this.report(el, "nameless <group>");
      return;
    }
    for (const attr of Object.keys(el.attrs)) if (attr !== "name") this.wrongAttr(el, attr);
    let elems = this.db.groups.get(name);
    if (!elems) {
      elems = [];
      this.db.groups.set(name, elems);
    }
    this.parseElems(el, elems);
  }

  private parseDomain(el: XmlElement): void {
    const name = el.attrs.name;
    if (name === undefined) {
      this.report(el, "nameless <domain>");
      return;
    }
    const varinfo: RawVarInfo = {};
    let width = 8;
    let size = 0;
    let bare = false;
    for (const [attr, v] of Object.entries(el.attrs)) {
      if (attr === "name") continue;
      if (attr === "bare") bare = this.bool(el, attr);
      else if (attr === "width") width = this.num(el, attr);
      else if (attr === "size") size = this.num(el, attr);
      else if (!this.varAttr(attr, v, varinfo)) this.wrongAttr(el, attr);
    }
    let cur = this.db.domains.get(name);
    if (!cur) {
      cur = { name, width, size, bare, varinfo, children: [] };
      this.db.domains.set(name, cur);
    } else if (
      cur.width !== width ||
      cur.bare !== bare ||
      !sameVarInfo(cur.varinfo, varinfo) ||
      (size && cur.size && size !== cur.size)
    ) {
      this.report(el, `merge of domain ${name} with different attributes`);
    } else if (size) {
      cur.size = size;
    }
    this.parseElems(el, cur.children);
  }

  private parseElems(el: XmlElement, into: RawElem[]): void {
    this.otherChildren(el, (c) => {
      const elem = this.tryElem(c);
      if (elem === null) return false;
      if (elem) into.push(elem);
      return true;
    });
  }

  /** null: not an element tag; undefined: an element tag that was reported and dropped. */
  private tryElem(el: XmlElement): RawElem | null | undefined {
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

function sameVarInfo(a: RawVarInfo, b: RawVarInfo): boolean {
  return a.varset === b.varset && a.variants === b.variants && a.prefix === b.prefix;
}
