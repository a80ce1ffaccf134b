import type { TraceSummary } from "@mmiohub/trace";
import { parsePciId, shortSlot, type UploaderMetadata } from "./metadata";
import type { PciIds } from "./pci-ids";

/** A finding stored with the trace: never fatal, never silently "fixed". */
export interface TraceWarning {
  code: string;
  message: string;
}

/** One row of `trace_card`. */
export interface CardRow {
  cardIndex: number;
  devicePosition: number;
  vendorId: number;
  deviceId: number;
  subsystemVendorId: number | null;
  subsystemDeviceId: number | null;
  pciName: string | null;
  chipset: number | null;
  codeName: string | null;
  family: string | null;
  architecture: string | null;
  stepping: number | null;
  source: string;
  accesses: number;
}

// Code names at the start of pci.ids' NVIDIA device names: "GK107 [GeForce GTX 650]"
const CODE_NAME = /^((?:NV|G|GF|GK|GM|GP|GV|TU|GA|GH|AD|GB|MCP)\d+[A-Z]?)\b/;

/**
 * The trace's cards, identified from the trace itself (PCI ids from PCIDEV, chipset from
 * PMC_BOOT_0/42 through the trace core), named from pci.ids, and checked against what the uploader
 * said. The trace wins; each disagreement becomes a warning.
 */
export function identifyCards(
  summary: TraceSummary,
  pciIds: PciIds | null,
  metadata: UploaderMetadata | null,
): { cards: CardRow[]; warnings: TraceWarning[] } {
  const warnings: TraceWarning[] = [];
  const gpus = metadata?.gpus ?? [];
  const cards = summary.cards.map((c, cardIndex): CardRow => {
    const claimed = gpus.find((g) => g.pciId?.toLowerCase() === c.id);
    const sub = parsePciId(claimed?.subsystem);
    const pciName = pciIds?.deviceName(c.vendor, c.deviceId) ?? null;
    const named = pciName ? CODE_NAME.exec(pciName)?.[1] : undefined;
    if (c.nvidia && named && c.codeName && named !== c.codeName) {
      warnings.push({
        code: "CHIPSET_NAME_MISMATCH",
        message: `card ${c.slot} (${c.id}) reads as ${c.codeName} (PMC_BOOT_0) but pci.ids names ${c.id} "${pciName}"`,
      });
    }
    if (c.nvidia && c.chipset === null) {
      warnings.push({
        code: "CHIPSET_NOT_READ",
        message: `card ${c.slot} (${c.id}): the trace never reads PMC_BOOT_0, so the chipset is unknown`,
      });
    }
    return {
      cardIndex,
      devicePosition: c.device,
      vendorId: c.vendor,
      deviceId: c.deviceId,
      subsystemVendorId: sub?.[0] ?? null,
      subsystemDeviceId: sub?.[1] ?? null,
      pciName,
      chipset: c.chipset,
      codeName: c.codeName,
      family: c.family,
      architecture: c.architecture,
      stepping: c.stepping,
      // "pcidev": known by its PCI ids only (no identity register read, or not an NVIDIA card)
      source: c.source ?? "pcidev",
      accesses: c.accesses,
    };
  });
  if (metadata) warnings.push(...crossCheck(summary, metadata));
  return { cards, warnings };
}

function crossCheck(summary: TraceSummary, metadata: UploaderMetadata): TraceWarning[] {
  const warnings: TraceWarning[] = [];
  const traced = summary.cards.filter((c) => c.nvidia && c.accesses > 0);
  const gpus = metadata.gpus ?? [];
  for (const g of gpus) {
    const id = parsePciId(g.pciId);
    if (!id) continue;
    const slot = g.slot ? shortSlot(g.slot) : null;
    const device = summary.devices.find(
      (d) => d.vendor === id[0] && d.device === id[1] && (slot === null || d.slot === slot),
    );
    if (device) continue;
    const sameId = summary.devices.find((d) => d.vendor === id[0] && d.device === id[1]);
    warnings.push(
      sameId
        ? {
            code: "METADATA_SLOT_MISMATCH",
            message: `metadata puts GPU ${g.pciId} at ${g.slot}; the trace has it at ${sameId.slot}`,
          }
        : {
            code: "METADATA_GPU_MISMATCH",
            message: `metadata lists GPU ${g.pciId}${g.slot ? ` at ${g.slot}` : ""}, which is not among the trace's PCI devices (${summary.devices.map((d) => d.id).join(", ") || "none"})`,
          },
    );
  }
  if (gpus.length > 0) {
    for (const c of traced) {
      if (!gpus.some((g) => g.pciId?.toLowerCase() === c.id)) {
        warnings.push({
          code: "METADATA_GPU_MISSING",
          message: `the trace accesses ${c.id} at ${c.slot}${c.codeName ? ` (${c.codeName})` : ""}, which metadata does not list`,
        });
      }
    }
  }
  const driver = metadata.driver?.name?.trim();
  if (driver) {
    for (const c of traced) {
      const bound = summary.devices[c.device]?.driver;
      if (bound && bound !== driver) {
        warnings.push({
          code: "METADATA_DRIVER_MISMATCH",
          message: `metadata names driver '${driver}', but the trace shows '${bound}' bound to ${c.slot} (${c.id})`,
        });
      }
    }
  }
  return warnings;
}

/** Disagreements between the upload form's metadata and the archive's metadata.json. */
export function compareMetadata(
  form: UploaderMetadata | null,
  archive: UploaderMetadata | null,
): TraceWarning[] {
  if (!form || !archive) return [];
  const out: TraceWarning[] = [];
  const pairs: [string, string | null | undefined, string | null | undefined][] = [
    ["kernel", form.kernel, archive.kernel],
    ["driver.name", form.driver?.name, archive.driver?.name],
    ["driver.version", form.driver?.version, archive.driver?.version],
  ];
  for (const [field, a, b] of pairs) {
    if (a && b && a.trim() !== b.trim())
      out.push({
        code: "METADATA_CONFLICT",
        message: `${field}: the upload form says '${a}', metadata.json says '${b}' (the form's value is kept)`,
      });
  }
  return out;
}
