import type { CompiledDatabase, CompiledDomain, RegisterDatabase } from "@mmiohub/rnndb";

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
}
