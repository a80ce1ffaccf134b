import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";

/** Reads a sysfs/procfs attribute, or undefined when the machine does not have it. */
export function readAttr(path: string): string | undefined {
  try {
    return readFileSync(path, "utf8").trim();
  } catch {
    return undefined;
  }
}

export function listDir(path: string): string[] {
  try {
    return readdirSync(path).sort();
  } catch {
    return [];
  }
}

/** Kernel CPU list syntax: "0-3,6". */
export function parseCpuList(text: string): number[] {
  const cpus: number[] = [];
  for (const part of text.split(",")) {
    const [from, to] = part.trim().split("-");
    if (from === undefined || from === "") continue;
    const start = Number(from);
    const end = to === undefined ? start : Number(to);
    for (let cpu = start; cpu <= end; cpu++) cpus.push(cpu);
  }
  return cpus;
}

export interface CpuState {
  cpu: number;
  /** undefined: the CPU cannot be taken offline (no `online` file, usually cpu0). */
  online: boolean | undefined;
}

export function cpuStates(sysRoot: string): CpuState[] {
  const base = join(sysRoot, "devices", "system", "cpu");
  return listDir(base)
    .filter((name) => /^cpu\d+$/.test(name))
    .map((name) => {
      const flag = readAttr(join(base, name, "online"));
      return { cpu: Number(name.slice(3)), online: flag === undefined ? undefined : flag === "1" };
    })
    .sort((a, b) => a.cpu - b.cpu);
}

/** Drivers whose ioremaps must happen after tracing starts to be recorded. */
export const GPU_DRIVERS = ["nvidia", "nouveau", "nvidia_drm", "nvidia_modeset"];

export function loadedModules(procRoot: string): string[] {
  const text = readAttr(join(procRoot, "modules")) ?? "";
  return text
    .split("\n")
    .map((line) => line.split(" ")[0] ?? "")
    .filter(Boolean);
}

export function memAvailableKb(procRoot: string): number | undefined {
  const text = readAttr(join(procRoot, "meminfo")) ?? "";
  const match = /^MemAvailable:\s+(\d+) kB/m.exec(text);
  return match ? Number(match[1]) : undefined;
}
