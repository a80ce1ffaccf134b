import { CompiledDomain } from "./compile";
import { TypeCompiler } from "./compiled-type";
import { decodeValue } from "./decode";
import { type DatabaseSource, loadDatabase } from "./loader";
import type { Diagnostic } from "./model";
import { type PreparedDatabase, prepareDatabase } from "./prepare";
import { type Selection, selectionKey } from "./selection";

/** How a chip maps onto a database's variants. */
export interface ChipVariant {
  /** the variant's name in the database (`GK107`), or undefined when the database lacks the chip */
  name: string | undefined;
  selection: Selection;
}

/**
 * An rnndb database, loaded and prepared once. `compile(selection)` gives the lookup for one
 * chip, built on first use and cached.
 */
export class RegisterDatabase {
  private readonly compiled = new Map<string, CompiledDatabase>();

  private constructor(
    readonly prepared: PreparedDatabase,
    /** identifies the XML files' content: shown next to annotated views */
    readonly version: string,
    /** the enum whose values are the chips (`chipset` for envytools); undefined when none */
    readonly chipEnum: string | undefined,
  ) {}

  static load(entry: string, source: DatabaseSource, chipEnum = "chipset"): RegisterDatabase {
    const loaded = loadDatabase(entry, source);
    const prepared = prepareDatabase(loaded.raw);
    return new RegisterDatabase(
      prepared,
      loaded.version,
      prepared.raw.enums.has(chipEnum) ? chipEnum : undefined,
    );
  }

  get diagnostics(): Diagnostic[] {
    return this.prepared.diagnostics;
  }

  domainNames(): string[] {
    return [...this.prepared.domains.keys()];
  }

  /** Compiles (once) the database for a selection of variants. */
  compile(selection: Selection): CompiledDatabase {
    const key = selectionKey(selection);
    let c = this.compiled.get(key);
    if (!c) {
      c = new CompiledDatabase(this.prepared, selection);
      this.compiled.set(key, c);
    }
    return c;
  }

  /** No variant chosen: what the database says regardless of chip (the edu database, say). */
  compileAny(): CompiledDatabase {
    return this.compile({ known: new Map(), unknown: new Set() });
  }

  /**
   * The variant for an NVIDIA chipset id (`0xe7` -> GK107), as envytools' rnndec_varaddvalue
   * finds it: the first value of the chip enum with that value. Pre-NV10 ids (1, 3, 4, 5) have no
   * value in the enum and are matched by name (`NV4`). A chip the enum lacks gets the unknown
   * selection: only what does not depend on the chip is decoded.
   */
  chipVariant(chipset: number): ChipVariant {
    const en = this.chipEnum === undefined ? undefined : this.prepared.raw.enums.get(this.chipEnum);
    if (!en || this.chipEnum === undefined)
      return { name: undefined, selection: { known: new Map(), unknown: new Set() } };
    let idx = en.values.findIndex((v) => v.value === BigInt(chipset));
    if (idx < 0 && chipset < 0x10)
      idx = en.values.findIndex((v) => v.name === `NV${chipset.toString(16).toUpperCase()}`);
    if (idx < 0)
      return { name: undefined, selection: { known: new Map(), unknown: new Set([this.chipEnum]) } };
    return {
      name: en.values[idx]!.name,
      selection: { known: new Map([[this.chipEnum, idx]]), unknown: new Set() },
    };
  }

  /** A chip by variant name (`GK107`, case-insensitive) or id (`0xe7`, `NVE7`), as `-a` takes it. */
  chipByName(text: string): { chipset: number | undefined; variant: ChipVariant } | undefined {
    const en = this.chipEnum === undefined ? undefined : this.prepared.raw.enums.get(this.chipEnum);
    if (!en) return undefined;
    const upper = text.toUpperCase();
    const byName = en.values.find((v) => v.name.toUpperCase() === upper);
    if (byName) {
      const chipset = byName.value === undefined ? preNv10Id(byName.name) : Number(byName.value);
      return {
        chipset,
        variant: chipset === undefined ? this.variantByName(byName.name) : this.chipVariant(chipset),
      };
    }
    const m = /^(?:0x|NV)([0-9a-f]+)$/i.exec(text);
    if (!m) return undefined;
    const chipset = Number.parseInt(m[1]!, 16);
    return { chipset, variant: this.chipVariant(chipset) };
  }

  private variantByName(name: string): ChipVariant {
    const en = this.prepared.raw.enums.get(this.chipEnum!)!;
    const idx = en.values.findIndex((v) => v.name === name);
    return { name, selection: { known: new Map([[this.chipEnum!, idx]]), unknown: new Set() } };
  }
}

function preNv10Id(name: string): number | undefined {
  const m = /^NV([0-9A-F])$/.exec(name);
  return m ? Number.parseInt(m[1]!, 16) : undefined;
}

/** The database for one selection: domain lookups and value decoding. */
export class CompiledDatabase {
  private readonly domains = new Map<string, CompiledDomain>();
  private readonly types: TypeCompiler;

  constructor(
    private readonly prepared: PreparedDatabase,
    readonly selection: Selection,
  ) {
    this.types = new TypeCompiler(prepared, selection);
  }

  hasDomain(name: string): boolean {
    return this.prepared.domains.has(name);
  }

  domain(name: string): CompiledDomain {
    let d = this.domains.get(name);
    if (!d) {
      d = new CompiledDomain(this.prepared, name, this.selection, this.types);
      this.domains.set(name, d);
    }
    return d;
  }

  decode = decodeValue;
}
