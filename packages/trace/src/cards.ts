// Card identity: which devices the trace touched and, for NVIDIA ones, the chip they are, from the
// first reads of PMC_BOOT_0 (BAR0+0) and PMC_BOOT_42 (BAR0+0xa00).
import { identifyChipset } from "./chipsets";
import type { CardIdentity, PciDevice } from "./model-types";

export const NVIDIA_VENDOR = 0x10de;

export class CardTracker {
  private readonly devices: PciDevice[] = [];
  private readonly accesses: number[] = [];
  private readonly boot0: (number | null)[] = [];
  private readonly boot42: (number | null)[] = [];

  addDevice(d: PciDevice): void {
    if (this.devices[d.index] !== undefined) return;
    this.devices[d.index] = d;
    this.accesses[d.index] = 0;
    this.boot0[d.index] = null;
    this.boot42[d.index] = null;
  }

  count(device: number): void {
    this.accesses[device]!++;
  }

  /**
   * A 32-bit read at BAR0 offset 0 or 0xa00 of `device`. The first read counts, unless it read
   * 0 or all ones (a card not answering yet): then the next one does.
   */
  read(device: number, offset: number, value: number): void {
    const list = offset === 0 ? this.boot0 : this.boot42;
    const seen = list[device];
    if (seen === null || seen === 0 || seen === 0xffffffff) list[device] = value >>> 0;
  }

  /** One identity per NVIDIA device and per other device the trace accessed. */
  identities(): CardIdentity[] {
    const out: CardIdentity[] = [];
    for (const d of this.devices) {
      if (d === undefined) continue;
      const nvidia = d.vendor === NVIDIA_VENDOR;
      const accesses = this.accesses[d.index]!;
      if (!nvidia && accesses === 0) continue;
      const boot0 = nvidia ? this.boot0[d.index]! : null;
      const boot42 = nvidia ? this.boot42[d.index]! : null;
      const chip = nvidia ? identifyChipset(boot0, boot42) : null;
      out.push({
        device: d.index,
        slot: d.slot,
        id: d.id,
        vendor: d.vendor,
        deviceId: d.device,
        nvidia,
        boot0,
        boot42,
        chipset: chip?.chipset ?? null,
        chipsetHex: chip?.chipsetHex ?? null,
        codeName: chip?.codeName ?? null,
        family: chip?.family ?? null,
        architecture: chip?.architecture ?? null,
        stepping: chip?.stepping ?? null,
        source: chip?.source ?? null,
        byteSwapped: chip?.byteSwapped ?? false,
        accesses,
      });
    }
    return out;
  }
}
