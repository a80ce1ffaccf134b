import { readFile } from "node:fs/promises";

/**
 * Names from the PCI id database (Debian's `pci.ids`, /usr/share/misc/pci.ids): vendor, device and
 * subsystem names by id. Read once per process (1.3 MB, ~40k devices); the class section at the
 * end of the file is skipped.
 */
export class PciIds {
  constructor(
    private readonly vendors: Map<number, string>,
    private readonly devices: Map<number, string>,
    private readonly subsystems: Map<string, string>,
    /** The file's "Version:" line, for processing notes. */
    readonly version: string | null,
  ) {}

  static parse(text: string): PciIds {
    const vendors = new Map<number, string>();
    const devices = new Map<number, string>();
    const subsystems = new Map<string, string>();
    let version: string | null = null;
    let vendor = -1;
    let device = -1;
    for (const line of text.split("\n")) {
      if (line.startsWith("#")) {
        const v = /^#\s*Version:\s*(\S+)/.exec(line);
        if (v) version = v[1]!;
        continue;
      }
      if (line.startsWith("C ")) break;
      let m = /^([0-9a-f]{4}) {2}(.+)$/.exec(line);
      if (m) {
        vendor = Number.parseInt(m[1]!, 16);
        vendors.set(vendor, m[2]!.trim());
        continue;
      }
      m = /^\t([0-9a-f]{4}) {2}(.+)$/.exec(line);
      if (m && vendor >= 0) {
        device = Number.parseInt(m[1]!, 16);
        devices.set(vendor * 0x10000 + device, m[2]!.trim());
        continue;
      }
      m = /^\t\t([0-9a-f]{4}) ([0-9a-f]{4}) {2}(.+)$/.exec(line);
      if (m && vendor >= 0 && device >= 0)
        subsystems.set(`${vendor}:${device}:${m[1]}:${m[2]}`, m[3]!.trim());
    }
    return new PciIds(vendors, devices, subsystems, version);
  }

  vendorName(vendor: number): string | null {
    return this.vendors.get(vendor) ?? null;
  }

  deviceName(vendor: number, device: number): string | null {
    return this.devices.get(vendor * 0x10000 + device) ?? null;
  }

  subsystemName(vendor: number, device: number, subVendor: number, subDevice: number): string | null {
    const key = `${vendor}:${device}:${subVendor.toString(16).padStart(4, "0")}:${subDevice.toString(16).padStart(4, "0")}`;
    return this.subsystems.get(key) ?? null;
  }
}

const loaded = new Map<string, Promise<PciIds | null>>();

/** The database at `path`, or null when the file is missing (names are then left empty). */
export function loadPciIds(path: string): Promise<PciIds | null> {
  let p = loaded.get(path);
  if (!p) {
    p = readFile(path, "utf8").then(
      (text) => PciIds.parse(text),
      () => null,
    );
    loaded.set(path, p);
  }
  return p;
}
