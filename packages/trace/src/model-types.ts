// Plain, JSON-able shapes of the trace model. 64-bit addresses and sizes are lower-case hex strings
// ("0xf6000000") so they stay exact through JSON.

export interface PciBar {
  /** PCI resource index: 0-5 BARs, 6 expansion ROM. */
  readonly index: number;
  /** The start as printed, flag bits included. */
  readonly raw: string;
  /** Start address with the flag bits cleared. */
  readonly start: string;
  readonly size: string;
  /** `io` when bit 0 is set; otherwise memory. */
  readonly space: "memory" | "io";
  /** Memory BAR type bits 2:1 = 10b. */
  readonly is64: boolean;
  /** Memory BAR bit 3. */
  readonly prefetchable: boolean;
}

export interface PciDevice {
  /** Position in the trace's PCIDEV lines; the `device` column of batches points here. */
  readonly index: number;
  /** "01:00.0" */
  readonly slot: string;
  readonly bus: number;
  readonly devfn: number;
  readonly vendor: number;
  readonly device: number;
  /** "10de:0fc6" */
  readonly id: string;
  readonly irq: number;
  /** The seven resources, empty ones (size 0) included. */
  readonly bars: readonly PciBar[];
  /** Bound driver, or null when the line names none. */
  readonly driver: string | null;
  /** 1-based line of the PCIDEV record. */
  readonly line: number;
  /** The PCIDEV line as written (without its line ending), for rebuilding a header. */
  readonly text: string;
}

export interface Mapping {
  readonly mapId: number;
  /** Event number of the MAP record. */
  readonly eventIndex: number;
  readonly line: number;
  readonly phys: string;
  readonly virt: string;
  readonly length: string;
  /** Resolved device/BAR of the mapped range, or -1. */
  readonly device: number;
  readonly bar: number;
  /** Offset of the mapping's start within that BAR ("0x0"), or null when unresolved. */
  readonly barOffset: string | null;
  readonly mappedAt: { readonly sec: number; readonly usec: number };
  /** Null while still mapped at the end of the trace. */
  unmappedAt: { readonly sec: number; readonly usec: number } | null;
  unmapEventIndex: number | null;
}

export interface CardIdentity {
  /** Index into the device table. */
  readonly device: number;
  readonly slot: string;
  /** "10de:0fc6" */
  readonly id: string;
  readonly vendor: number;
  readonly deviceId: number;
  readonly nvidia: boolean;
  /** First values read from PMC_BOOT_0 / PMC_BOOT_42 (NVIDIA only), or null. */
  readonly boot0: number | null;
  readonly boot42: number | null;
  /** Null for non-NVIDIA devices and for NVIDIA cards whose identity registers were never read. */
  readonly chipset: number | null;
  readonly chipsetHex: string | null;
  readonly codeName: string | null;
  readonly family: string | null;
  readonly architecture: string | null;
  readonly stepping: number | null;
  readonly source: "boot0" | "boot42" | null;
  readonly byteSwapped: boolean;
  /** Accesses resolved to this device. */
  readonly accesses: number;
}

export interface Marker {
  readonly eventIndex: number;
  readonly line: number;
  readonly sec: number;
  readonly usec: number;
  readonly text: string;
}

export interface LostReport {
  readonly eventIndex: number;
  readonly line: number;
  readonly count: number;
  /** `mark`: the mmiotrace `Lost N events.` marker; `cpu`: ftrace's `CPU:n [LOST N EVENTS]`. */
  readonly source: "mark" | "cpu";
}

/** `0x` + lower-case hex of a lo/hi pair, as the kernel prints `%llx`. */
export function hex64(lo: number, hi: number): string {
  return hi === 0 ? `0x${lo.toString(16)}` : `0x${hi.toString(16)}${lo.toString(16).padStart(8, "0")}`;
}
