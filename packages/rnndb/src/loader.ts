import { createHash } from "node:crypto";
import { DOC_TAGS, ElementReader } from "./element-reader";
import type { RawDatabase, RawVarInfo } from "./model";
import { emptyType } from "./model";
import { parseXml, type XmlElement } from "./xml-tree";

/** Where the XML files come from: a path relative to the database root -> its text. */
export type DatabaseSource = (file: string) => string;

export interface LoadedDatabase {
  raw: RawDatabase;
  /** sha256 over every file read (name and content): which database annotated a view. */
  version: string;
}

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

class Loader extends ElementReader {
  constructor(
    db: RawDatabase,
    private readonly source: DatabaseSource,
    private readonly hash: ReturnType<typeof createHash>,
  ) {
    super(db);
  }

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

  protected tryTop(el: XmlElement): boolean {
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
}

function sameVarInfo(a: RawVarInfo, b: RawVarInfo): boolean {
  return a.varset === b.varset && a.variants === b.variants && a.prefix === b.prefix;
}
