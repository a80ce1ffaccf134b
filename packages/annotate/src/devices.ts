import { builtinDatabases, openBuiltinDatabase, type RegisterDatabase } from "@mmiohub/rnndb";
import type { CardSpec } from "./card";

export const NVIDIA_VENDOR = 0x10de;

/** The part of the trace core's PciDevice the annotator reads. */
export interface DeviceInfo {
  index: number;
  vendor: number;
  device: number;
}

export interface DatabaseChoice {
  /** envytools' database, for NVIDIA cards; undefined when none was configured */
  nvidia: RegisterDatabase | undefined;
  /** the `-a` option, already resolved to a chipset id */
  forcedChipset?: number;
}

/** Devices with a database of their own, by PCI id: the edu device of QEMU for now. */
const BUILTIN_BY_ID: Record<string, keyof typeof builtinDatabases> = { "1234:11e8": "edu" };

function pciId(d: DeviceInfo): string {
  return `${d.vendor.toString(16).padStart(4, "0")}:${d.device.toString(16).padStart(4, "0")}`;
}

/**
 * Picks the annotated cards of a trace's device table, in PCIDEV order: NVIDIA devices (when
 * envytools' database is there) and devices this package ships a database for. `cardOf[device]`
 * is the card index (`[N]` in demmio lines) or -1.
 */
export function chooseCards(
  devices: readonly DeviceInfo[],
  dbs: DatabaseChoice,
): { cards: CardSpec[]; cardOf: Int16Array } {
  const cards: CardSpec[] = [];
  const cardOf = new Int16Array(Math.max(devices.length, 1)).fill(-1);
  for (const d of devices) {
    let spec: CardSpec | undefined;
    if (d.vendor === NVIDIA_VENDOR && dbs.nvidia) {
      spec = { kind: "nvidia", database: dbs.nvidia, domain: "NV_MMIO", forcedChipset: dbs.forcedChipset };
    } else {
      const builtin = BUILTIN_BY_ID[pciId(d)];
      if (builtin)
        spec = {
          kind: "generic",
          database: openBuiltinDatabase(builtin),
          domain: builtinDatabases[builtin].domain,
        };
    }
    if (!spec) continue;
    cardOf[d.index] = cards.length;
    cards.push(spec);
  }
  return { cards, cardOf };
}
