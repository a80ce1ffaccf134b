import type { CType, TypeCompiler } from "./compiled-type";
import { altHex } from "./format";
import type { PreparedDatabase } from "./prepare";
import type { PElem, PReg } from "./prepared";
import { evalConds, type Selection } from "./selection";

/** What an address is, for one selection of variants. */
export interface AddressInfo {
  /** `PMC.ENABLE`, `PIBUS.MMIO_HUB[0x5]+0x56`, or the bare offset (`0xa000`) when unknown */
  name: string;
  /** the register's width in bits; 0 when the address is not a register */
  width: number;
  type: CType | undefined;
  /** true when the chip is unknown to the database and this name or decode may be incomplete */
  chipDependent: boolean;
  /** true when a register matched (false for bare offsets and `ARRAY+0xoff`) */
  known: boolean;
}

interface Node {
  kind: "reg" | "array" | "stripe";
  name: string | undefined;
  offset: number;
  length: number;
  stride: number;
  /** reg: width in cells; containers: children */
  cells: number;
  reg: PReg | undefined;
  children: Level | undefined;
  /** left out because the chip is unknown: never matches, only flags */
  excluded: boolean;
  /** kept on an unknown chip by extrapolation: flags the lookups it answers */
  assumed: boolean;
  /** address extent relative to the parent: [lo, hi) */
  lo: number;
  hi: number;
}

/**
 * The children of one container, indexed by address: the sorted boundaries of all children's
 * extents split the space into segments, each listing (in document order) the children that can
 * match there. A lookup is a binary search plus a try of those few candidates, in the order
 * envytools' trymatch would try them.
 */
class Level {
  readonly lo: number;
  readonly hi: number;
  private readonly bounds: number[];
  private readonly segments: Node[][];

  constructor(readonly nodes: Node[]) {
    let lo = Number.POSITIVE_INFINITY;
    let hi = Number.NEGATIVE_INFINITY;
    const set = new Set<number>();
    for (const n of nodes) {
      if (n.lo >= n.hi) continue;
      lo = Math.min(lo, n.lo);
      hi = Math.max(hi, n.hi);
      set.add(n.lo);
      if (Number.isFinite(n.hi)) set.add(n.hi);
    }
    this.lo = lo;
    this.hi = hi;
    this.bounds = [...set].sort((a, b) => a - b);
    this.segments = this.bounds.map((start) => nodes.filter((n) => n.lo <= start && start < n.hi));
  }

  candidates(addr: number): Node[] {
    const b = this.bounds;
    let lo = 0;
    let hi = b.length - 1;
    if (hi < 0 || addr < b[0]!) return [];
    while (lo < hi) {
      const mid = (lo + hi + 1) >> 1;
      if (b[mid]! <= addr) lo = mid;
      else hi = mid - 1;
    }
    return this.segments[lo]!;
  }
}

const MEMO_SLOTS = 1 << 13;

export interface DomainLookup {
  readonly domain: string;
  lookup(addr: number): AddressInfo;
}

interface Match {
  name: string;
  reg: PReg | undefined;
}

/**
 * A domain compiled for one selection. Lookups are memoized per address: a trace touches a few
 * thousand distinct registers, each resolved once.
 */
export class CompiledDomain implements DomainLookup {
  private readonly root: Level;
  /**
   * Direct-mapped memo of lookups: a trace hammers a few hundred registers, which stay cached;
   * a sweep over many addresses only overwrites slots, so memory stays bounded without the cost
   * of a Map's inserts and clears.
   */
  private readonly memoKeys = new Float64Array(MEMO_SLOTS).fill(-1);
  private readonly memoInfo: (AddressInfo | undefined)[] = new Array(MEMO_SLOTS).fill(undefined);
  private flagged = false;

  constructor(
    db: PreparedDatabase,
    readonly domain: string,
    private readonly sel: Selection,
    private readonly types: TypeCompiler,
  ) {
    const dom = db.domains.get(domain);
    if (!dom) throw new Error(`domain ${domain} not in the database`);
    this.root = this.level(dom.children, dom.width);
  }

  private level(elems: PElem[], dwidth: number): Level {
    const nodes: Node[] = [];
    for (const e of elems) {
      const r = evalConds(e.conds, this.sel);
      if (r === "nomatch") continue;
      const node: Node = {
        kind: e.kind,
        name: e.name,
        offset: e.offset,
        length: e.length,
        stride: e.stride,
        cells: 0,
        reg: undefined,
        children: undefined,
        excluded: r === "excluded",
        assumed: r === "assumed",
        lo: e.offset,
        hi: e.offset,
      };
      const count = e.length === 0 ? Number.POSITIVE_INFINITY : e.length;
      if (e.kind === "reg") {
        node.reg = e;
        node.cells = e.width / dwidth;
        node.hi = count === 1 ? e.offset + node.cells : e.offset + e.stride * (count - 1) + node.cells;
      } else {
        const inner = this.level(e.children, dwidth);
        node.children = inner;
        if (e.kind === "array") {
          node.hi = e.stride > 0 ? e.offset + e.stride * count : e.offset;
        } else if (inner.lo < inner.hi) {
          node.lo = e.offset + inner.lo;
          node.hi = count === 1 ? e.offset + inner.hi : e.offset + e.stride * (count - 1) + inner.hi;
        }
      }
      nodes.push(node);
    }
    return new Level(nodes);
  }

  lookup(addr: number): AddressInfo {
    const slot = (addr ^ (addr >>> 12)) & (MEMO_SLOTS - 1);
    if (this.memoKeys[slot] === addr) return this.memoInfo[slot]!;
    this.flagged = false;
    const m = this.match(this.root, addr, []);
    const reg = m?.reg;
    const type = reg ? this.types.compile(reg.type) : undefined;
    const info: AddressInfo = {
      name: m ? m.name : altHex(addr),
      width: reg ? reg.width : 0,
      type,
      chipDependent: this.flagged || (type?.partial ?? false),
      known: reg !== undefined,
    };
    this.memoKeys[slot] = addr;
    this.memoInfo[slot] = info;
    return info;
  }

  private match(level: Level, addr: number, indices: number[]): Match | undefined {
    for (const n of level.candidates(addr)) {
      if (n.excluded) {
        this.flagged = true;
        continue;
      }
      const m = this.matchNode(n, addr, indices);
      if (m) {
        if (n.assumed) this.flagged = true;
        return m;
      }
    }
    return undefined;
  }

  private matchNode(n: Node, addr: number, indices: number[]): Match | undefined {
    if (addr < n.offset) return undefined;
    if (n.kind === "reg") {
      let idx = 0;
      let off = addr - n.offset;
      if (n.stride) {
        idx = Math.floor(off / n.stride);
        off -= idx * n.stride;
      }
      if (off >= n.cells) return undefined;
      if (n.length && idx >= n.length) return undefined;
      let name = withIndices(n.name!, indices);
      if (n.length !== 1) name += `[${altHex(idx)}]`;
      if (off) name += `+${altHex(off)}`;
      return { name, reg: n.reg };
    }
    if (n.kind === "array") {
      if (!n.stride) return undefined;
      const idx = Math.floor((addr - n.offset) / n.stride);
      const off = addr - n.offset - idx * n.stride;
      if (n.length && idx >= n.length) return undefined;
      let name = withIndices(n.name!, indices);
      if (n.length !== 1) name += `[${altHex(idx)}]`;
      const inner = this.match(n.children!, off, []);
      if (inner) return { name: `${name}.${inner.name}`, reg: inner.reg };

      return { name: `${name}+${altHex(off)}`, reg: undefined };
    }
    const inner = n.children!;
    const rel = addr - n.offset;
    let first = 0;
    let last = n.length ? n.length - 1 : Number.POSITIVE_INFINITY;
    if (n.stride) {
      first = Math.max(0, Math.floor((rel - inner.hi) / n.stride) + 1);
      last = Math.min(last, Math.floor((rel - inner.lo) / n.stride));
    } else {
      last = 0;
    }
    for (let idx = first; idx <= last; idx++) {
      const sub = n.name === undefined ? (n.length !== 1 ? [...indices, idx] : indices) : [];
      const m = this.match(inner, rel - n.stride * idx, sub);
      if (!m) continue;
      if (n.name === undefined) return m;
      let name = withIndices(n.name, indices);
      if (n.length !== 1) name += `[${altHex(idx)}]`;
      return { name: `${name}.${m.name}`, reg: m.reg };
    }
    return undefined;
  }
}

function withIndices(name: string, indices: number[]): string {
  for (const i of indices) name += `[${altHex(i)}]`;
  return name;
}
