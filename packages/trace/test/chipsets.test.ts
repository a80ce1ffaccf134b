import { describe, expect, it } from "vitest";
import {
  CHIPSET_FAMILIES,
  chipsetFamily,
  chipsetName,
  decodeBoot0,
  decodeBoot42,
  identifyChipset,
} from "../src/index";

// [PMC_BOOT_0, chipset, code name, family, stepping]: one or more per family, NV04 to Turing.
const BOOT0: [number, number, string, string, number][] = [
  [0x00010101, 0x01, "NV01", "NV04", 0x01],
  [0x00030110, 0x03, "NV03", "NV04", 0x10],
  [0x20004001, 0x04, "NV04", "NV04", 0x1],
  [0x20154000, 0x05, "NV05", "NV04", 0x0],
  [0x010000a1, 0x10, "NV10", "NV10", 0xa1],
  [0x01a000b2, 0x1a, "NV1A", "NV10", 0xb2],
  [0x020200a5, 0x20, "NV20", "NV20", 0xa5],
  [0x02a000a1, 0x2a, "NV2A", "NV20", 0xa1],
  [0x034000a1, 0x34, "NV34", "NV30", 0xa1],
  [0x040000a1, 0x40, "NV40", "NV40", 0xa1],
  [0x049000a2, 0x49, "G71", "NV40", 0xa2],
  [0x063000a2, 0x63, "MCP73", "NV40", 0xa2],
  [0x050000a2, 0x50, "G80", "NV50", 0xa2],
  [0x092000a2, 0x92, "G92", "NV50", 0xa2],
  [0x0a3000a2, 0xa3, "GT215", "NV50", 0xa2],
  [0x0c0000a3, 0xc0, "GF100", "NVC0", 0xa3],
  [0x0d9000a1, 0xd9, "GF119", "NVC0", 0xa1],
  [0x0e7150a2, 0xe7, "GK107", "NVE0", 0xa2],
  [0x0f1000a1, 0xf1, "GK110B", "NVE0", 0xa1],
  [0x108000a1, 0x108, "GK208", "NVE0", 0xa1],
  [0x117000a2, 0x117, "GM107", "GM100", 0xa2],
  [0x124000a1, 0x124, "GM204", "GM100", 0xa1],
  [0x132000a1, 0x132, "GP102", "GP100", 0xa1],
  [0x140000a1, 0x140, "GV100", "GV100", 0xa1],
  [0x162000a1, 0x162, "TU102", "TU100", 0xa1],
];

// [PMC_BOOT_42, chipset, code name, family]: Turing and later.
const BOOT42: [number, number, string, string][] = [
  [0x16400000, 0x164, "TU104", "TU100"],
  [0x16800000, 0x168, "TU116", "TU100"],
  [0x17000000, 0x170, "GA100", "GA100"],
  [0x17400000, 0x174, "GA104", "GA100"],
  [0x18000000, 0x180, "GH100", "GH100"],
  [0x19200000, 0x192, "AD102", "AD100"],
  [0x19700000, 0x197, "AD107", "AD100"],
  [0x1a000000, 0x1a0, "GB100", "GB100"],
  [0x1a200000, 0x1a2, "GB102", "GB100"],
  [0x1b200000, 0x1b2, "GB202", "GB200"],
  [0x1b700000, 0x1b7, "GB207", "GB200"],
];

const bswap = (v: number) =>
  (((v & 0xff) << 24) | ((v & 0xff00) << 8) | ((v >>> 8) & 0xff00) | (v >>> 24)) >>> 0;

describe("chipset identity", () => {
  it.each(BOOT0)("PMC_BOOT_0 %#x -> chipset %#x %s (%s)", (boot0, chipset, name, family, stepping) => {
    expect(decodeBoot0(boot0)).toEqual({ chipset, stepping, byteSwapped: false });
    expect(identifyChipset(boot0, null)).toMatchObject({
      chipset,
      codeName: name,
      family,
      stepping,
      source: "boot0",
    });
  });

  it.each(BOOT42)("PMC_BOOT_42 %#x -> chipset %#x %s (%s)", (boot42, chipset, name, family) => {
    expect(decodeBoot42(boot42)).toEqual({ chipset, stepping: null, byteSwapped: false });
    expect(identifyChipset(null, boot42)).toMatchObject({
      chipset,
      codeName: name,
      family,
      source: "boot42",
    });
  });

  it("a big-endian read of PMC_BOOT_0 is byte-swapped first", () => {
    expect(bswap(0x0e7150a2)).toBe(0xa250710e);
    expect(decodeBoot0(0xa250710e)).toEqual({ chipset: 0xe7, stepping: 0xa2, byteSwapped: true });
    expect(identifyChipset(0xa250710e, null)).toMatchObject({ codeName: "GK107", byteSwapped: true });
    // Bit 31 set with bit 7 set is a little-endian value and stays as read.
    expect(decodeBoot0(0x8e7150a2)?.byteSwapped).toBe(false);
  });

  it("Turing and later prefer PMC_BOOT_42; earlier chips keep PMC_BOOT_0", () => {
    expect(identifyChipset(0x162000a1, 0x16400000)).toMatchObject({
      chipset: 0x164,
      source: "boot42",
      stepping: 0xa1,
    });
    expect(identifyChipset(0x0e7150a2, 0x16400000)).toMatchObject({ chipset: 0xe7, source: "boot0" });
    expect(identifyChipset(0x0e7150a2, 0)).toMatchObject({ chipset: 0xe7, source: "boot0" });
  });

  it("values that identify nothing", () => {
    expect(decodeBoot0(0)).toBeNull();
    expect(decodeBoot0(0xffffffff)).toBeNull();
    expect(decodeBoot42(0)).toBeNull();
    expect(identifyChipset(null, null)).toBeNull();
    // 0x150 is in no family: decoded, but without a name or family.
    expect(identifyChipset(0x150000a1, null)).toMatchObject({ chipset: 0x150, codeName: null, family: null });
  });

  it("family table covers NV04 to Blackwell", () => {
    expect(CHIPSET_FAMILIES.map((f) => f.family)).toEqual([
      "NV04",
      "NV10",
      "NV20",
      "NV30",
      "NV40",
      "NV50",
      "NVC0",
      "NVE0",
      "GM100",
      "GP100",
      "GV100",
      "TU100",
      "GA100",
      "GH100",
      "AD100",
      "GB100",
      "GB200",
    ]);
    expect(chipsetFamily(0xe7)).toEqual({ family: "NVE0", architecture: "Kepler" });
    expect(chipsetFamily(0x1b2)).toEqual({ family: "GB200", architecture: "Blackwell" });
    expect(chipsetFamily(0x02)).toBeNull();
    expect(chipsetName(0x4e)).toBe("C51");
    expect(chipsetName(0x1c0)).toBeNull();
  });
});
