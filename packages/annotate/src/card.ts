import type { AddressInfo, CompiledDatabase, CompiledDomain, RegisterDatabase } from "@mmiohub/rnndb";

const CACHE_SLOTS = 64;

/** A device the annotator knows registers for. */
export interface CardSpec {
  /** NVIDIA cards get chip identification and demmio's indirect decoders; others only names */
  kind: "nvidia" | "generic";
  database: RegisterDatabase;
  /** domain for BAR0 (`NV_MMIO`, `EDU`) */
  domain: string;
  /** the `-a` option: decode as this chipset whatever PMC_BOOT_0 says */
  forcedChipset?: number;
}

/** Per-card compiled lookups for the card's current chipset. */
export class CardView {
  compiled!: CompiledDatabase;
  mmio!: CompiledDomain;
  crtc: CompiledDomain | undefined;
  /** appended to lines whose decode depends on a chip the database lacks */
  note: string | undefined;
  private readonly decoded = new WeakMap<AddressInfo, { keys: Float64Array; values: string[] }>();

  constructor(readonly spec: CardSpec) {}

  select(chipset: number | null, chipName: string | undefined): void {
    const db = this.spec.database;
    if (this.spec.kind === "generic") {
      this.compiled = db.compileAny();
      this.note = undefined;
    } else if (chipset === null) {
      this.compiled = db.compile({ known: new Map(), unknown: new Set(db.chipEnum ? [db.chipEnum] : []) });
      this.note = "[chip not identified yet]";
    } else {
      const v = db.chipVariant(chipset);
      this.compiled = db.compile(v.selection);
      this.note =
        v.name === undefined ? `[unknown on ${chipName ?? `chipset 0x${chipset.toString(16)}`}]` : undefined;
    }
    this.mmio = this.compiled.domain(this.spec.domain);
    this.crtc = this.compiled.hasDomain("NV_CR") ? this.compiled.domain("NV_CR") : undefined;
  }

  /**
   * Decoded value text. Bitsets and enums are worth caching (traces repeat register/value pairs);
   * a small direct-mapped table per register keeps the cache's live set bounded, so random values
   * do not fill the heap with strings the garbage collector must then promote and sweep.
   */
  decode(info: AddressInfo, lo: number, hi: number): string {
    const t = info.type;
    if (hi !== 0 || t === undefined || (t.kind !== "bitset" && t.kind !== "enum")) {
      return this.compiled.decode(t, lo, hi, info.width);
    }
    let c = this.decoded.get(info);
    if (!c) {
      c = { keys: new Float64Array(CACHE_SLOTS).fill(-1), values: new Array<string>(CACHE_SLOTS).fill("") };
      this.decoded.set(info, c);
    }
    const slot = (lo ^ (lo >>> 9) ^ (lo >>> 19)) & (CACHE_SLOTS - 1);
    if (c.keys[slot] === lo) return c.values[slot]!;
    const s = this.compiled.decode(t, lo, 0, info.width);
    c.keys[slot] = lo;
    c.values[slot] = s;
    return s;
  }
}
