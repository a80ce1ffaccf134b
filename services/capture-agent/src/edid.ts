/** The few EDID facts maintainers ask for: the monitor's name and maker. */
export interface EdidInfo {
  manufacturer: string;
  productCode: number;
  name: string | null;
}

const HEADER = [0x00, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x00];

export function parseEdid(edid: Buffer): EdidInfo | null {
  if (edid.length < 128 || HEADER.some((byte, index) => edid[index] !== byte)) return null;
  const id = edid.readUInt16BE(8);
  const letter = (shift: number) => String.fromCharCode(((id >> shift) & 0x1f) + 64);
  let name: string | null = null;
  // Four 18-byte descriptors; 0xfc is the monitor name, text ended by 0x0a and padded with spaces.
  for (let offset = 54; offset <= 108; offset += 18) {
    if (edid[offset] === 0 && edid[offset + 1] === 0 && edid[offset + 3] === 0xfc) {
      const raw = edid.subarray(offset + 5, offset + 18).toString("latin1");
      name = raw.split("\n")[0]?.trim() ?? null;
      break;
    }
  }
  return { manufacturer: letter(10) + letter(5) + letter(0), productCode: edid.readUInt16LE(10), name };
}
