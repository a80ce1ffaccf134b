/** Turns PMC_BOOT_0 into a chipset id and name; the CLI passes the trace core's identification. */
export type ChipIdentifier = (boot0: number) => { chipset: number; name: string } | undefined;

/**
 * The NV10+ rule alone (`chipset = boot0 >> 20 & 0x1ff`), named `NVxx`; enough when the caller has
 * nothing better. Byte-swapped and pre-NV10 values are left unidentified.
 */
export const basicIdentify: ChipIdentifier = (boot0) => {
  const chipset = (boot0 >>> 20) & 0x1ff;
  if (chipset < 0x10) return undefined;
  return { chipset, name: `NV${chipset.toString(16).toUpperCase()}` };
};

/** NV50 (Tesla) and later: the chips demmio's PRAMIN and I2C decoders apply to. */
export function isNv50Plus(chipset: number | null): boolean {
  if (chipset === null) return false;
  return chipset >= 0x50 && (chipset & 0x1f0) !== 0x60;
}
