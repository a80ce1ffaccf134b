import { readFileSync } from "node:fs";
import { join } from "node:path";
import { Readable } from "node:stream";
import { TraceAnnotator } from "@mmiohub/annotate";
import type { PrismaClient } from "@mmiohub/db";
import { createEventStoreWriter } from "@mmiohub/event-store";
import { openEnvytoolsDatabase } from "@mmiohub/rnndb";
import type { BlobStore } from "@mmiohub/storage";
import { createParser, EventKind, type TraceBatch, type TraceSummary } from "@mmiohub/trace";
import { CHECKPOINT_FORMAT } from "../src/services/events-store-source";
import { SHARED } from "./helpers";

export const sample = (name: string) => readFileSync(join(SHARED, "samples", name), "utf8");

/**
 * A GK107 trace of about `accesses` register accesses after the hand-written sample's header and
 * accesses: PMC_BOOT_0 first (so the chipset is known), the PRAMIN window moved now and then (its
 * annotation depends on state), markers every `markEvery` accesses, one of them hostile HTML.
 */
export function generatedTrace(accesses: number, markEvery = 5000): string {
  // The sample ends by unmapping BAR0: keep the mapping live for the generated accesses.
  const head = sample("gk107_hand.mmiotrace").trimEnd().split("\n");
  const unmap = head.pop()!;
  const lines = [...head];
  let us = 200_000;
  const regs = [0x000200, 0x001700, 0x700000, 0x009400, 0x002254, 0x610018, 0x100c80];
  for (let i = 0; i < accesses; i++) {
    if (i % markEvery === 0) {
      const text = i === markEvery ? `<script>alert("x")</script> phase ${i}` : `phase ${i / markEvery}`;
      lines.push(`MARK ${100 + Math.floor(us / 1e6)}.${String(us % 1e6).padStart(6, "0")} ${text}`);
    }
    us += 7;
    const reg = regs[i % regs.length]!;
    const write = i % 3 === 0;
    const value = reg === 0x001700 ? (i >>> 4) & 0xff : (i * 2654435761) >>> 0;
    const ts = `${100 + Math.floor(us / 1e6)}.${String(us % 1e6).padStart(6, "0")}`;
    lines.push(
      `${write ? "W" : "R"} 4 ${ts} 1 0x${(0xf6000000 + reg).toString(16)} 0x${value.toString(16).padStart(8, "0")} 0x0 0`,
    );
  }
  lines.push(unmap.replace("100.700000", `${101 + Math.floor(us / 1e6)}.000000`));
  return `${lines.join("\n")}\n`;
}

/** The trace core's batches and summary of a whole trace text. */
export function parseAll(text: string): { batches: TraceBatch[]; summary: TraceSummary } {
  const batches: TraceBatch[] = [];
  const parser = createParser({ onBatch: (b) => batches.push(b), onError: () => {} });
  parser.feed(Buffer.from(text));
  return { batches, summary: parser.end() };
}

/** Builds the event store the way the worker does: blocks of events, annotator state at checkpoints. */
async function putEventStore(
  storage: BlobStore,
  text: string,
  rnndbDir: string,
  checkpointInterval = 4096,
): Promise<string> {
  const { batches, summary } = parseAll(text);
  const annotator = new TraceAnnotator({ nvidia: openEnvytoolsDatabase(rnndbDir) });
  const w = createEventStoreWriter({
    blockEvents: 1024,
    checkpointInterval,
    checkpointFormat: CHECKPOINT_FORMAT,
  });
  const chunks: Uint8Array[] = [];
  for (const b of batches) {
    let row = 0;
    while (row < b.length) {
      if (w.events === w.nextCheckpoint)
        chunks.push(...w.checkpoint(w.events, annotator.snapshot(summary.devices)));
      const end = Math.min(b.length, row + (w.nextCheckpoint - w.events));
      chunks.push(...w.add(b, row, end));
      annotator.batch(b, summary.devices, row, end);
      annotator.writer.take();
      row = end;
    }
  }
  chunks.push(
    ...w.finish({ devices: summary.devices, parserVersion: "test", rnndbVersion: null, member: "t" }).chunks,
  );
  return (await storage.put(Readable.from(chunks.map((c) => Buffer.from(c))))).key;
}

export interface StoredTrace {
  submissionId: string;
  traceId: string;
  text: string;
  summary: TraceSummary;
}

let counter = 0;

/**
 * Stores a trace the way ingest leaves it: the archive (here the plain log) in blob storage, the
 * submission and trace rows with cards, markers and register statistics from the trace core's
 * parse, and, with `eventStore`, the binary event store.
 */
export async function storeTrace(
  deps: { prisma: PrismaClient; storage: BlobStore },
  text: string,
  options: {
    eventStore?: boolean;
    description?: string;
    contactEmail?: string;
    hidden?: boolean;
    name?: string;
    /** store the text as given (by default a unique last marker is added) */
    exact?: boolean;
    /** events between the event store's checkpoints (the worker's default, 4096, when absent) */
    checkpointInterval?: number;
  } = {},
): Promise<StoredTrace> {
  const { prisma, storage } = deps;
  const n = `${process.pid.toString(36)}${(counter++).toString(36)}${Math.random().toString(36).slice(2, 6)}`;
  // Archives are unique by content: a last marker keeps equal fixtures of several files apart.
  if (!options.exact) text = `${text}MARK 999.000000 fixture ${n}\n`;
  const put = await storage.put(Readable.from([Buffer.from(text)]));
  const { batches, summary } = parseAll(text);
  const submissionId = `s${n}`;
  const traceId = `t${n}`;
  const stats = new Map<
    string,
    { card: number; bar: number; offset: number; reads: number; writes: number; first: number; last: number }
  >();
  for (const b of batches) {
    for (let i = 0; i < b.length; i++) {
      const k = b.kind[i]!;
      if ((k !== EventKind.READ && k !== EventKind.WRITE) || b.device[i]! < 0) continue;
      const key = `${b.device[i]}:${b.bar[i]}:${b.offsetLo[i]}`;
      let s = stats.get(key);
      if (!s) {
        s = {
          card: 0,
          bar: b.bar[i]!,
          offset: b.offsetLo[i]!,
          reads: 0,
          writes: 0,
          first: b.start + i,
          last: 0,
        };
        stats.set(key, s);
      }
      if (k === EventKind.READ) s.reads++;
      else s.writes++;
      s.last = b.start + i;
    }
  }
  const eventStoreKey = options.eventStore
    ? await putEventStore(storage, text, process.env.MMIOHUB_RNNDB!, options.checkpointInterval)
    : null;
  await prisma.submission.create({
    data: {
      id: submissionId,
      status: "done",
      archiveSha256: put.key,
      archiveSize: BigInt(put.size),
      archiveName: options.name ?? "trace.mmiotrace",
      description: options.description ?? null,
      contactEmail: options.contactEmail ?? null,
      hostname: options.contactEmail ? "secret-host.example" : null,
      hidden: options.hidden ?? false,
      driverName: "nvidia",
      driverVersion: "550.54.14",
      kernel: "6.1.0-13-amd64",
    },
  });
  await prisma.trace.create({
    data: {
      id: traceId,
      submissionId,
      member: "trace.mmiotrace",
      textBytes: BigInt(Buffer.byteLength(text)),
      lineCount: BigInt(summary.lines),
      recordCounts: summary.counts,
      eventCount: BigInt(summary.events),
      accessCount: BigInt(summary.accesses.total),
      lostEvents: BigInt(summary.lost.events),
      validation: summary.report as object,
      validationOk: summary.report.ok,
      eventStoreKey,
      cards: {
        create: summary.cards.map((c, i) => ({
          cardIndex: i,
          devicePosition: c.device,
          vendorId: c.vendor,
          deviceId: c.deviceId,
          chipset: c.chipset,
          codeName: c.codeName,
          family: c.family,
          architecture: c.architecture,
          source: c.source ?? "uploader",
          accesses: BigInt(c.accesses),
        })),
      },
      markers: {
        create: summary.markers.map((m, seq) => ({
          seq,
          eventIndex: BigInt(m.eventIndex),
          timeUs: BigInt(m.sec * 1_000_000 + m.usec),
          kind: "mark",
          text: m.text,
        })),
      },
      registers: {
        create: [...stats.values()].map((s) => ({
          cardIndex: s.card,
          bar: s.bar,
          offset: BigInt(s.offset),
          reads: BigInt(s.reads),
          writes: BigInt(s.writes),
          firstEvent: BigInt(s.first),
          lastEvent: BigInt(s.last),
        })),
      },
    },
  });
  return { submissionId, traceId, text, summary };
}
