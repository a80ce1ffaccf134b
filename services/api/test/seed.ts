import { randomBytes } from "node:crypto";
import type { PrismaClient } from "@mmiohub/db";

/**
 * Indexed traces written straight into the real database, the way the worker's ingest stores them,
 * so search tests do not wait for ingest. Each call makes one submission with one trace.
 */
export interface SeedTrace {
  description?: string;
  kernel?: string;
  driverName?: string;
  driverVersion?: string;
  createdAt?: Date;
  eventCount?: number;
  lostEvents?: number;
  validationOk?: boolean;
  hidden?: boolean;
  withdrawn?: boolean;
  cards?: {
    vendorId: number;
    deviceId: number;
    subsystem?: [number, number];
    chipset?: number;
    codeName?: string;
    family?: string;
    architecture?: string;
  }[];
  markers?: string[];
  registers?: { offset: number; bar?: number; span?: number; reads?: number; writes?: number }[];
  contactEmail?: string;
  hostname?: string;
}

export const seedId = (prefix: string) => `${prefix}${randomBytes(8).toString("hex")}`;

export async function seedTrace(
  prisma: PrismaClient,
  t: SeedTrace,
): Promise<{ submissionId: string; traceId: string }> {
  const submissionId = seedId("s");
  const traceId = seedId("t");
  const createdAt = t.createdAt ?? new Date();
  const markers = t.markers ?? [];
  await prisma.submission.create({
    data: {
      id: submissionId,
      status: "done",
      archiveSha256: randomBytes(32).toString("hex"),
      archiveSize: 100n,
      archiveName: "seed.xz",
      description: t.description ?? null,
      kernel: t.kernel ?? null,
      driverName: t.driverName ?? null,
      driverVersion: t.driverVersion ?? null,
      hidden: t.hidden ?? false,
      withdrawnAt: t.withdrawn ? new Date() : null,
      contactEmail: t.contactEmail ?? null,
      hostname: t.hostname ?? null,
      createdAt,
      traces: {
        create: {
          id: traceId,
          member: "trace.mmiotrace",
          textBytes: 1000n,
          lineCount: 10n,
          recordCounts: {},
          eventCount: BigInt(t.eventCount ?? 10),
          lostEvents: BigInt(t.lostEvents ?? 0),
          validationOk: t.validationOk ?? true,
          searchText: [t.description ?? "", ...markers].join("\n"),
          createdAt,
        },
      },
    },
  });
  if (t.cards?.length) {
    await prisma.traceCard.createMany({
      data: t.cards.map((c, i) => ({
        traceId,
        cardIndex: i,
        devicePosition: i,
        vendorId: c.vendorId,
        deviceId: c.deviceId,
        subsystemVendorId: c.subsystem?.[0] ?? null,
        subsystemDeviceId: c.subsystem?.[1] ?? null,
        chipset: c.chipset ?? null,
        codeName: c.codeName ?? null,
        family: c.family ?? null,
        architecture: c.architecture ?? null,
        source: c.chipset === undefined ? "uploader" : "boot0",
      })),
    });
  }
  if (markers.length) {
    await prisma.traceMarker.createMany({
      data: markers.map((text, seq) => ({
        traceId,
        seq,
        eventIndex: BigInt(seq * 10),
        timeUs: BigInt(seq),
        kind: "mark",
        text,
      })),
    });
  }
  if (t.registers?.length) {
    await prisma.registerStat.createMany({
      data: t.registers.map((r) => ({
        traceId,
        cardIndex: 0,
        bar: r.bar ?? 0,
        offset: BigInt(r.offset),
        span: r.span ?? 1,
        reads: BigInt(r.reads ?? 0),
        writes: BigInt(r.writes ?? 0),
        firstEvent: 0n,
        lastEvent: 1n,
      })),
    });
  }
  return { submissionId, traceId };
}

export const GK107 = {
  vendorId: 0x10de,
  deviceId: 0x0fc6,
  chipset: 0xe7,
  codeName: "GK107",
  family: "NVE0",
  architecture: "Kepler",
};
export const GT215 = {
  vendorId: 0x10de,
  deviceId: 0x0ca3,
  chipset: 0xa3,
  codeName: "GT215",
  family: "NV50",
  architecture: "Tesla",
};
export const TU117 = {
  vendorId: 0x10de,
  deviceId: 0x1f82,
  chipset: 0x167,
  codeName: "TU117",
  family: "TU100",
  architecture: "Turing",
};
