/** The database after variants and types are resolved (envytools' rnn_prepdb), chip-independent. */

/** One varset condition: which values of `enumName` (by declaration index) an item exists on. */
export interface VarCond {
  enumName: string;
  allowed: Uint8Array;
  /** true when every value is allowed: the item does not depend on this varset. */
  all: boolean;
}

export type PType =
  | { kind: "hex" | "uint" | "int" | "boolean" | "float"; shr: number; add: number }
  | { kind: "fixed" | "ufixed"; radix: number; shr: number; add: number }
  | { kind: "enum"; values: PValue[]; shr: number; add: number }
  | { kind: "bitset"; fields: PBitfield[]; shr: number; add: number }
  | { kind: "spectype"; name: string; shr: number; add: number };

export interface PValue {
  name: string;
  value: bigint | undefined;
  conds: VarCond[];
}

export interface PBitfield {
  name: string;
  low: number;
  high: number;
  conds: VarCond[];
  type: PType;
}

export type PElem = PReg | PContainer;

export interface PReg {
  kind: "reg";
  name: string;
  offset: number;
  /** bits */
  width: number;
  length: number;
  stride: number;
  access: "r" | "w" | "rw";
  conds: VarCond[];
  type: PType;
}

export interface PContainer {
  kind: "array" | "stripe";
  name: string | undefined;
  offset: number;
  length: number;
  stride: number;
  conds: VarCond[];
  children: PElem[];
}

export interface PDomain {
  name: string;
  /** bits per addressable cell */
  width: number;
  children: PElem[];
}
