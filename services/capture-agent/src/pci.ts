import { readlinkSync } from "node:fs";
import { basename, join } from "node:path";
import { listDir, readAttr } from "./machine";

export const NVIDIA_VENDOR = "10de";

export interface PciDevice {
  slot: string;
  vendorId: string;
  deviceId: string;
  subsystemVendorId: string | null;
  subsystemDeviceId: string | null;
  classCode: string;
  revision: string | null;
  driver: string | null;
}

function hex(value: string | undefined, digits: number): string | null {
  if (value === undefined) return null;
  return value.replace(/^0x/, "").toLowerCase().padStart(digits, "0");
}

function driverOf(dir: string): string | null {
  try {
    return basename(readlinkSync(join(dir, "driver")));
  } catch {
    return null;
  }
}

/** Display controllers (PCI class 03xxxx) as sysfs lists them: no lspci needed, busybox has none. */
export function listGpus(sysRoot: string): PciDevice[] {
  const base = join(sysRoot, "bus", "pci", "devices");
  const gpus: PciDevice[] = [];
  for (const slot of listDir(base)) {
    const dir = join(base, slot);
    const classCode = hex(readAttr(join(dir, "class")), 6);
    if (classCode === null || !classCode.startsWith("03")) continue;
    gpus.push({
      slot,
      vendorId: hex(readAttr(join(dir, "vendor")), 4) ?? "????",
      deviceId: hex(readAttr(join(dir, "device")), 4) ?? "????",
      subsystemVendorId: hex(readAttr(join(dir, "subsystem_vendor")), 4),
      subsystemDeviceId: hex(readAttr(join(dir, "subsystem_device")), 4),
      classCode,
      revision: hex(readAttr(join(dir, "revision")), 2),
      driver: driverOf(dir),
    });
  }
  return gpus;
}

export function pciId(device: Pick<PciDevice, "vendorId" | "deviceId">): string {
  return `${device.vendorId}:${device.deviceId}`;
}
