import { spawnSync } from "node:child_process";
import { readFileSync } from "node:fs";
import { hostname, machine, release, type, version } from "node:os";
import { join } from "node:path";
import { z } from "zod";
import { findProgram } from "./compress";
import { parseEdid } from "./edid";
import { listDir, readAttr } from "./machine";
import { listGpus, NVIDIA_VENDOR, type PciDevice } from "./pci";
import type { RecordingInfo } from "./recording-info";
import { AGENT_VERSION } from "./version";

/**
 * metadata.json: what maintainers used to ask for by mail. Top-level `kernel`, `driver` and
 * `hostname` are the keys the server reads; the rest is kept as sent.
 */
export const metadataSchema = z.object({
  schema: z.literal("mmiohub-agent/metadata@1"),
  agent: z.object({ version: z.string() }),
  collectedAt: z.string(),
  title: z.string().optional(),
  kernel: z.string(),
  hostname: z.string().optional(),
  distribution: z.string().nullable(),
  /** Absent when no NVIDIA driver is installed (the server takes `driver` as an optional object). */
  driver: z
    .object({ name: z.string(), version: z.string().optional(), procVersion: z.string().optional() })
    .optional(),
  gpus: z.array(
    z.object({
      slot: z.string(),
      pciId: z.string(),
      subsystem: z.string().nullable(),
      classCode: z.string(),
      revision: z.string().nullable(),
      driver: z.string().nullable(),
      lspci: z.string().nullable(),
    }),
  ),
  displays: z.array(
    z.object({
      connector: z.string(),
      status: z.string().nullable(),
      enabled: z.string().nullable(),
      monitor: z.string().nullable(),
      manufacturer: z.string().nullable(),
      modes: z.array(z.string()),
    }),
  ),
  xrandr: z.string().nullable(),
  recording: z.record(z.string(), z.unknown()).nullable(),
});
export type Metadata = z.infer<typeof metadataSchema>;

export interface CollectSources {
  sysRoot: string;
  procRoot: string;
  etcRoot: string;
  includeHostname: boolean;
  env: NodeJS.ProcessEnv;
}

function run(program: string, args: string[], env: NodeJS.ProcessEnv): string | null {
  const path = findProgram(program, env);
  if (path === undefined) return null;
  const result = spawnSync(path, args, { encoding: "utf8", timeout: 5000, env });
  return result.status === 0 ? result.stdout.trim() : null;
}

function kernelString(env: NodeJS.ProcessEnv): string {
  // uname -srvmo, without the node name (-n), which is the hostname.
  return run("uname", ["-srvmo"], env) ?? `${type()} ${release()} ${version()} ${machine()}`;
}

function distribution(etcRoot: string): string | null {
  for (const file of ["os-release", "../usr/lib/os-release"]) {
    const text = readAttr(join(etcRoot, file));
    if (text === undefined) continue;
    const pretty = /^PRETTY_NAME="?([^"\n]*)"?/m.exec(text);
    if (pretty?.[1]) return pretty[1];
  }
  return null;
}

function nvidiaDriver(
  procRoot: string,
  gpus: PciDevice[],
  env: NodeJS.ProcessEnv,
): Metadata["driver"] | undefined {
  const procVersion = readAttr(join(procRoot, "driver", "nvidia", "version")) ?? null;
  const bound = gpus.find((gpu) => gpu.vendorId === NVIDIA_VENDOR && gpu.driver !== null)?.driver ?? null;
  const name = bound ?? (procVersion ? "nvidia" : null);
  if (name === null) return undefined;
  const fromProc = procVersion
    ? (/Kernel Module(?: for x86_64)?\s+([\d.]+)/.exec(procVersion)?.[1] ?? null)
    : null;
  const modinfo = run("modinfo", ["-F", "version", name], env);
  const version = modinfo || fromProc;
  return { name, ...(version ? { version } : {}), ...(procVersion ? { procVersion } : {}) };
}

function displays(sysRoot: string): Metadata["displays"] {
  const base = join(sysRoot, "class", "drm");
  return listDir(base)
    .filter((entry) => /^card\d+-/.test(entry))
    .map((connector) => {
      const dir = join(base, connector);
      let edid: Buffer | null = null;
      try {
        edid = readFileSync(join(dir, "edid"));
      } catch {
        edid = null;
      }
      const info = edid && edid.length > 0 ? parseEdid(edid) : null;
      return {
        connector,
        status: readAttr(join(dir, "status")) ?? null,
        enabled: readAttr(join(dir, "enabled")) ?? null,
        monitor: info?.name ?? null,
        manufacturer: info?.manufacturer ?? null,
        modes: (readAttr(join(dir, "modes")) ?? "").split("\n").filter(Boolean),
      };
    });
}

export function collectMetadata(sources: CollectSources, recording: RecordingInfo | null): Metadata {
  const { env } = sources;
  const gpus = listGpus(sources.sysRoot);
  const hasDisplay = Boolean(env.DISPLAY);
  const metadata: Metadata = {
    schema: "mmiohub-agent/metadata@1",
    agent: { version: AGENT_VERSION },
    collectedAt: new Date().toISOString(),
    kernel: kernelString(env),
    distribution: distribution(sources.etcRoot),
    gpus: gpus.map((gpu) => ({
      slot: gpu.slot,
      pciId: `${gpu.vendorId}:${gpu.deviceId}`,
      subsystem:
        gpu.subsystemVendorId && gpu.subsystemDeviceId
          ? `${gpu.subsystemVendorId}:${gpu.subsystemDeviceId}`
          : null,
      classCode: gpu.classCode,
      revision: gpu.revision,
      driver: gpu.driver,
      lspci: run("lspci", ["-nn", "-vvv", "-s", gpu.slot], env),
    })),
    displays: displays(sources.sysRoot),
    xrandr: hasDisplay ? run("xrandr", ["--query"], env) : null,
    recording: recording as Record<string, unknown> | null,
  };
  const driver = nvidiaDriver(sources.procRoot, gpus, env);
  if (driver) metadata.driver = driver;
  if (recording?.card)
    metadata.title = `${recording.card.name ?? recording.card.family} (${recording.card.pciId})`;
  if (sources.includeHostname) metadata.hostname = hostname();
  return metadata;
}
