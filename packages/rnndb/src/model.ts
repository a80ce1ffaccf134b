/** Raw rnndb entities as written in the XML, before variants and types are resolved. */

export interface Diagnostic {
  file: string;
  line: number;
  message: string;
}

/** The variant attributes an element carries (`varset`, `variants`, `prefix`). */
export interface RawVarInfo {
  varset?: string;
  variants?: string;
  prefix?: string;
}

export interface RawValue {
  name: string;
  /** undefined when the <value> has no value attribute (as in the chipset enum's first entries). */
  value: bigint | undefined;
  varinfo: RawVarInfo;
}

export interface RawBitfield {
  name: string;
  low: number;
  high: number;
  varinfo: RawVarInfo;
  type: RawType;
}

export interface RawType {
  /** The `type` attribute: a builtin (hex, int, ...), an enum, bitset or spectype name. */
  name?: string;
  shr: number;
  add: number;
  radix: number;
  values: RawValue[];
  bitfields: RawBitfield[];
}

export type RawElem = RawReg | RawContainer | RawUseGroup;

export interface RawReg {
  kind: "reg";
  name: string;
  offset: number;
  width: number;
  length: number;
  stride: number;
  access: "r" | "w" | "rw";
  varinfo: RawVarInfo;
  type: RawType;
  file: string;
  line: number;
}

export interface RawContainer {
  kind: "array" | "stripe";
  name?: string;
  offset: number;
  length: number;
  stride: number;
  varinfo: RawVarInfo;
  children: RawElem[];
  file: string;
  line: number;
}

export interface RawUseGroup {
  kind: "use-group";
  name: string;
  file: string;
  line: number;
}

export interface RawDomain {
  name: string;
  width: number;
  size: number;
  bare: boolean;
  varinfo: RawVarInfo;
  children: RawElem[];
}

export interface RawEnum {
  name: string;
  inline: boolean;
  bare: boolean;
  varinfo: RawVarInfo;
  values: RawValue[];
}

export interface RawBitset {
  name: string;
  inline: boolean;
  bare: boolean;
  varinfo: RawVarInfo;
  bitfields: RawBitfield[];
}

export interface RawDatabase {
  domains: Map<string, RawDomain>;
  enums: Map<string, RawEnum>;
  bitsets: Map<string, RawBitset>;
  groups: Map<string, RawElem[]>;
  spectypes: Map<string, RawType>;
  /** Files read, in import order, relative to the database root. */
  files: string[];
  diagnostics: Diagnostic[];
}

export function emptyType(): RawType {
  return { shr: 0, add: 0, radix: 0, values: [], bitfields: [] };
}
