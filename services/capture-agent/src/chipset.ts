/** Chipset id and family from PMC_BOOT_0, as in ../shared/notes/nvidia-chipsets.md. */
export interface Chipset {
  chipset: number;
  family: string;
  name: string | null;
}

const FAMILIES: Array<[number[], string]> = [
  [[0x010], "NV10"],
  [[0x020], "NV20"],
  [[0x030], "NV30"],
  [[0x040, 0x060], "NV40"],
  [[0x050, 0x080, 0x090, 0x0a0], "NV50"],
  [[0x0c0, 0x0d0], "NVC0"],
  [[0x0e0, 0x0f0, 0x100], "NVE0"],
  [[0x110, 0x120], "GM100"],
  [[0x130], "GP100"],
  [[0x140], "GV100"],
  [[0x160], "TU100"],
  [[0x170], "GA100"],
  [[0x180], "GH100"],
  [[0x190], "AD100"],
  [[0x1a0], "GB100"],
  [[0x1b0], "GB200"],
];

const NAMES: Record<number, string> = {
  80: "G80",
  132: "G84",
  134: "G86",
  146: "G92",
  148: "G94",
  150: "G96",
  152: "G98",
  160: "GT200",
  163: "GT215",
  165: "GT216",
  168: "GT218",
  170: "MCP77",
  172: "MCP79",
  175: "MCP89",
  192: "GF100",
  193: "GF108",
  195: "GF106",
  196: "GF104",
  200: "GF110",
  206: "GF114",
  207: "GF116",
  215: "GF117",
  217: "GF119",
  228: "GK104",
  230: "GK106",
  231: "GK107",
  234: "GK20A",
  240: "GK110",
  241: "GK110B",
  262: "GK208B",
  264: "GK208",
  279: "GM107",
  280: "GM108",
  288: "GM200",
  292: "GM204",
  294: "GM206",
  299: "GM20B",
  304: "GP100",
  306: "GP102",
  308: "GP104",
  310: "GP106",
  311: "GP107",
  312: "GP108",
  315: "GP10B",
  320: "GV100",
  354: "TU102",
  356: "TU104",
  358: "TU106",
  359: "TU117",
  360: "TU116",
  368: "GA100",
  370: "GA102",
  371: "GA103",
  372: "GA104",
  374: "GA106",
  375: "GA107",
  384: "GH100",
  402: "AD102",
  403: "AD103",
  404: "AD104",
  406: "AD106",
  407: "AD107",
  416: "GB100",
  418: "GB102",
  434: "GB202",
  435: "GB203",
  437: "GB205",
  438: "GB206",
  439: "GB207",
};

export function chipsetFromBoot0(raw: number): Chipset {
  let boot0 = raw >>> 0;
  // Bit 31 set and bit 7 clear: the register was read big-endian.
  if (boot0 & 0x80000000 && !(boot0 & 0x80)) {
    boot0 =
      (((boot0 & 0xff) << 24) | ((boot0 & 0xff00) << 8) | ((boot0 >>> 8) & 0xff00) | (boot0 >>> 24)) >>> 0;
  }
  if ((boot0 & 0xff00fff0) >>> 0 === 0x20004000) {
    const chipset = boot0 & 0x00f00000 ? 0x05 : 0x04;
    return { chipset, family: "NV04", name: chipset === 0x05 ? "NV05" : "NV04" };
  }
  const chipset = (boot0 >>> 20) & 0x1ff;
  if (chipset === 0) {
    const old = (boot0 >>> 16) & 0xf;
    return { chipset: old, family: "NV04", name: `NV0${old}` };
  }
  const group = chipset & 0x1f0;
  const family = FAMILIES.find(([groups]) => groups.includes(group))?.[1] ?? "unknown";
  return {
    chipset,
    family,
    name: NAMES[chipset] ?? (chipset < 0x50 ? `NV${chipset.toString(16).toUpperCase()}` : null),
  };
}
