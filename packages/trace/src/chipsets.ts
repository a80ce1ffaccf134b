// NVIDIA chipset identity: PMC_BOOT_0 / PMC_BOOT_42 decoding and the chipset -> code name ->
// family table (../shared/notes/nvidia-chipsets.md, grouped the way nouveau groups them).

export interface ChipsetFamily {
  /** Nouveau's family name: "NV04", "NV50", "NVE0", "GM100", ..., "GB200". */
  readonly family: string;
  /** Architecture name: "Fahrenheit", "Tesla", "Kepler", ... */
  readonly architecture: string;
}

const FAMILIES: Record<string, ChipsetFamily> = {
  NV04: { family: "NV04", architecture: "Fahrenheit" },
  NV10: { family: "NV10", architecture: "Celsius" },
  NV20: { family: "NV20", architecture: "Kelvin" },
  NV30: { family: "NV30", architecture: "Rankine" },
  NV40: { family: "NV40", architecture: "Curie" },
  NV50: { family: "NV50", architecture: "Tesla" },
  NVC0: { family: "NVC0", architecture: "Fermi" },
  NVE0: { family: "NVE0", architecture: "Kepler" },
  GM100: { family: "GM100", architecture: "Maxwell" },
  GP100: { family: "GP100", architecture: "Pascal" },
  GV100: { family: "GV100", architecture: "Volta" },
  TU100: { family: "TU100", architecture: "Turing" },
  GA100: { family: "GA100", architecture: "Ampere" },
  GH100: { family: "GH100", architecture: "Hopper" },
  AD100: { family: "AD100", architecture: "Ada Lovelace" },
  GB100: { family: "GB100", architecture: "Blackwell" },
  GB200: { family: "GB200", architecture: "Blackwell" },
};

/** Family key by `chipset & 0x1f0` (NV10 and later). */
const FAMILY_BY_GROUP: Record<number, string> = {
  16: "NV10",
  32: "NV20",
  48: "NV30",
  64: "NV40",
  96: "NV40",
  80: "NV50",
  128: "NV50",
  144: "NV50",
  160: "NV50",
  192: "NVC0",
  208: "NVC0",
  224: "NVE0",
  240: "NVE0",
  256: "NVE0",
  272: "GM100",
  288: "GM100",
  304: "GP100",
  320: "GV100",
  352: "TU100",
  368: "GA100",
  384: "GH100",
  400: "AD100",
  416: "GB100",
  432: "GB200",
};

/** Code names of the known chipsets. */
export const CHIPSET_NAMES: ReadonlyMap<number, string> = new Map([
  [0x01, "NV01"],
  [0x03, "NV03"],
  [0x04, "NV04"],
  [0x05, "NV05"],
  [0x10, "NV10"],
  [0x11, "NV11"],
  [0x15, "NV15"],
  [0x17, "NV17"],
  [0x18, "NV18"],
  [0x1a, "NV1A"],
  [0x1f, "NV1F"],
  [0x20, "NV20"],
  [0x25, "NV25"],
  [0x28, "NV28"],
  [0x2a, "NV2A"],
  [0x30, "NV30"],
  [0x31, "NV31"],
  [0x34, "NV34"],
  [0x35, "NV35"],
  [0x36, "NV36"],
  [0x40, "NV40"],
  [0x41, "NV41"],
  [0x42, "NV42"],
  [0x43, "NV43"],
  [0x44, "NV44"],
  [0x45, "NV45"],
  [0x46, "G72"],
  [0x47, "G70"],
  [0x49, "G71"],
  [0x4a, "NV44A"],
  [0x4b, "G73"],
  [0x4c, "MCP61"],
  [0x4e, "C51"],
  [0x63, "MCP73"],
  [0x67, "MCP67"],
  [0x68, "MCP68"],
  [0x50, "G80"],
  [0x84, "G84"],
  [0x86, "G86"],
  [0x92, "G92"],
  [0x94, "G94"],
  [0x96, "G96"],
  [0x98, "G98"],
  [0xa0, "GT200"],
  [0xa3, "GT215"],
  [0xa5, "GT216"],
  [0xa8, "GT218"],
  [0xaa, "MCP77"],
  [0xac, "MCP79"],
  [0xaf, "MCP89"],
  [0xc0, "GF100"],
  [0xc1, "GF108"],
  [0xc3, "GF106"],
  [0xc4, "GF104"],
  [0xc8, "GF110"],
  [0xce, "GF114"],
  [0xcf, "GF116"],
  [0xd7, "GF117"],
  [0xd9, "GF119"],
  [0xe4, "GK104"],
  [0xe6, "GK106"],
  [0xe7, "GK107"],
  [0xea, "GK20A"],
  [0xf0, "GK110"],
  [0xf1, "GK110B"],
  [0x106, "GK208B"],
  [0x108, "GK208"],
  [0x117, "GM107"],
  [0x118, "GM108"],
  [0x120, "GM200"],
  [0x124, "GM204"],
  [0x126, "GM206"],
  [0x12b, "GM20B"],
  [0x130, "GP100"],
  [0x132, "GP102"],
  [0x134, "GP104"],
  [0x136, "GP106"],
  [0x137, "GP107"],
  [0x138, "GP108"],
  [0x13b, "GP10B"],
  [0x140, "GV100"],
  [0x162, "TU102"],
  [0x164, "TU104"],
  [0x166, "TU106"],
  [0x167, "TU117"],
  [0x168, "TU116"],
  [0x170, "GA100"],
  [0x172, "GA102"],
  [0x173, "GA103"],
  [0x174, "GA104"],
  [0x176, "GA106"],
  [0x177, "GA107"],
  [0x180, "GH100"],
  [0x192, "AD102"],
  [0x193, "AD103"],
  [0x194, "AD104"],
  [0x196, "AD106"],
  [0x197, "AD107"],
  [0x1a0, "GB100"],
  [0x1a2, "GB102"],
  [0x1b2, "GB202"],
  [0x1b3, "GB203"],
  [0x1b5, "GB205"],
  [0x1b6, "GB206"],
  [0x1b7, "GB207"],
]);

/** First chipset whose identity nouveau takes from PMC_BOOT_42 (Turing). */
export const FIRST_BOOT42_CHIPSET = 0x160;

/** Family of a chipset id, or null when it belongs to no known family. */
export function chipsetFamily(chipset: number): ChipsetFamily | null {
  if (chipset < 0 || chipset > 0x1ff) return null;
  const key =
    chipset < 0x10
      ? chipset <= 0x05 && chipset !== 0x02
        ? "NV04"
        : undefined
      : FAMILY_BY_GROUP[chipset & 0x1f0];
  return key === undefined ? null : FAMILIES[key]!;
}

/** Code name ("GK107") of a chipset id, or null when unknown. */
export function chipsetName(chipset: number): string | null {
  return CHIPSET_NAMES.get(chipset) ?? null;
}

export interface BootDecode {
  /** Chipset id, e.g. 0xe7. */
  readonly chipset: number;
  /** Stepping (revision) byte; null when the register carries none. */
  readonly stepping: number | null;
  /** The register was read big-endian and had to be byte-swapped. */
  readonly byteSwapped: boolean;
}

const bswap32 = (v: number): number =>
  (((v & 0xff) << 24) | ((v & 0xff00) << 8) | ((v >>> 8) & 0xff00) | (v >>> 24)) >>> 0;

/**
 * Decodes PMC_BOOT_0 (BAR0+0x000000). Null for values that identify no chip (0, all ones).
 * Pre-NV10 chips have no chipset field: NV04/NV05 by their bit pattern, NV01/NV03 by bits 19:16.
 */
export function decodeBoot0(boot0: number): BootDecode | null {
  let v = boot0 >>> 0;
  if (v === 0 || v === 0xffffffff) return null;
  let byteSwapped = false;
  // A big-endian read shows the stepping byte on top: bit 31 set, bit 7 clear.
  if ((v & 0x80000000) !== 0 && (v & 0x80) === 0) {
    v = bswap32(v);
    byteSwapped = true;
  }
  if ((v & 0x1f000000) !== 0) return { chipset: (v >>> 20) & 0x1ff, stepping: v & 0xff, byteSwapped };
  if ((v & 0xff00fff0) >>> 0 === 0x20004000) {
    return { chipset: v & 0x00f00000 ? 0x05 : 0x04, stepping: v & 0xf, byteSwapped };
  }
  const old = (v >>> 16) & 0xf;
  if (old === 0x1 || old === 0x3) return { chipset: old, stepping: v & 0xff, byteSwapped };
  return null;
}

/** Decodes PMC_BOOT_42 (BAR0+0x000a00, Turing and later): chipset = arch 29:24 << 4 | impl 23:20. */
export function decodeBoot42(boot42: number): BootDecode | null {
  const v = boot42 >>> 0;
  if (v === 0 || v === 0xffffffff) return null;
  const chipset = (((v >>> 24) & 0x3f) << 4) | ((v >>> 20) & 0xf);
  if (chipset === 0) return null;
  return { chipset, stepping: null, byteSwapped: false };
}

export interface ChipsetIdentity {
  readonly chipset: number;
  /** "0xe7" */
  readonly chipsetHex: string;
  readonly codeName: string | null;
  readonly family: string | null;
  readonly architecture: string | null;
  readonly stepping: number | null;
  /** Which register the identity came from. */
  readonly source: "boot0" | "boot42";
  readonly byteSwapped: boolean;
}

/**
 * The chip from PMC_BOOT_0 and/or PMC_BOOT_42 (either may be null when the trace never read it).
 * Turing and later are taken from BOOT_42 when it was read, as nouveau does; stepping always comes
 * from BOOT_0.
 */
export function identifyChipset(boot0: number | null, boot42: number | null): ChipsetIdentity | null {
  const b0 = boot0 === null ? null : decodeBoot0(boot0);
  const b42 = boot42 === null ? null : decodeBoot42(boot42);
  let pick: BootDecode | null = b0;
  let source: "boot0" | "boot42" = "boot0";
  const b0Known = b0 !== null && chipsetFamily(b0.chipset) !== null;
  if (b42 !== null && chipsetFamily(b42.chipset) !== null) {
    if (b0 === null || !b0Known || b0.chipset >= FIRST_BOOT42_CHIPSET) {
      pick = b42;
      source = "boot42";
    }
  }
  if (pick === null) return null;
  const fam = chipsetFamily(pick.chipset);
  return {
    chipset: pick.chipset,
    chipsetHex: `0x${pick.chipset.toString(16)}`,
    codeName: chipsetName(pick.chipset),
    family: fam?.family ?? null,
    architecture: fam?.architecture ?? null,
    stepping: b0?.stepping ?? null,
    source,
    byteSwapped: b0?.byteSwapped ?? false,
  };
}

/** Every family, oldest first (for listings and search facets). */
export const CHIPSET_FAMILIES: readonly ChipsetFamily[] = Object.values(FAMILIES);
