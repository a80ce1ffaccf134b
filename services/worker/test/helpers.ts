import { execFileSync } from "node:child_process";
import { randomBytes } from "node:crypto";
import { mkdtemp, readdir, readFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join, relative } from "node:path";
import { Readable } from "node:stream";
import { gzipSync } from "node:zlib";
import { createPrisma, type PrismaClient } from "@mmiohub/db";
import { openEventStore } from "@mmiohub/event-store";
import { LocalBlobStore } from "@mmiohub/storage";
import pg from "pg";
import { pino } from "pino";
import { type Header, pack } from "tar-stream";
import { loadWorkerEnv, type WorkerConfig } from "../src/env";
import type { EventStoreApp } from "../src/index-trace/index-trace";
import type { IngestDeps } from "../src/ingest/pipeline";

export const REPO = new URL("../../../", import.meta.url).pathname;
export const SHARED = process.env.MMIOHUB_SHARED ?? join(REPO, "../shared");
export const sample = (name: string) => readFile(join(SHARED, "samples", name));

export function testConfig(overrides: Record<string, string> = {}): WorkerConfig {
  return loadWorkerEnv({
    ...process.env,
    PCI_IDS_PATH: process.env.PCI_IDS_PATH ?? "/usr/share/misc/pci.ids",
    ...overrides,
  });
}

let shared: PrismaClient | undefined;
export function prisma(): PrismaClient {
  shared ??= createPrisma(process.env.DATABASE_URL!, { max: 4 });
  return shared;
}

export async function makeDeps(
  overrides: Record<string, string> = {},
): Promise<IngestDeps & { storage: LocalBlobStore }> {
  const dir = overrides.STORAGE_DIR ?? (await mkdtemp(join(tmpdir(), "mmiohub-worker-")));
  const config = testConfig({ ...overrides, STORAGE_DIR: dir });
  return { prisma: prisma(), storage: new LocalBlobStore(dir), config, log: pino({ level: "silent" }) };
}

export const xz = (buf: Buffer, ...args: string[]) =>
  execFileSync("xz", ["-c", ...args], { input: buf, maxBuffer: 1 << 30 });
export const bzip2 = (buf: Buffer) => execFileSync("bzip2", ["-c", "-1"], { input: buf, maxBuffer: 1 << 30 });
export const gzip = (buf: Buffer) => gzipSync(buf, { level: 1 });

export async function tar(entries: (Partial<Header> & { name: string; body?: Buffer })[]): Promise<Buffer> {
  const p = pack();
  for (const { body, ...header } of entries) p.entry(header, body ?? Buffer.alloc(0));
  p.finalize();
  const chunks: Buffer[] = [];
  for await (const c of p as AsyncIterable<Buffer>) chunks.push(c);
  return Buffer.concat(chunks);
}

/** A unique word, to keep archives of different tests apart (archives are unique by content). */
export const nonce = () => randomBytes(6).toString("hex");

/** Stores an archive and records a submission for it, as the API does. */
export async function submit(
  deps: IngestDeps,
  bytes: Buffer,
  name: string,
  fields: { description?: string; metadata?: object } = {},
): Promise<string> {
  const blob = await deps.storage.put(Readable.from([bytes]));
  const id = `t${nonce()}`;
  await deps.prisma.submission.create({
    data: {
      id,
      archiveSha256: blob.key,
      archiveSize: BigInt(blob.size),
      archiveName: name,
      description: fields.description ?? null,
      metadata: (fields.metadata ?? {}) as object,
    },
  });
  return id;
}

/** Everything the pipeline stores for a submission, without timestamps: equal for equal runs. */
export async function storedRows(submissionId: string) {
  const client = new pg.Client({ connectionString: process.env.DATABASE_URL });
  await client.connect();
  try {
    const q = async (sql: string) => (await client.query(sql, [submissionId])).rows;
    const traceIds = `(SELECT id FROM trace WHERE submission_id = $1)`;
    return {
      submission: await q(
        `SELECT id, status, reason_code, reason, description, kernel, driver_name, driver_version FROM submission WHERE id = $1`,
      ),
      traces: await q(
        `SELECT id, member, text_bytes, line_count, record_counts, event_count, access_count, lost_events,
           first_us, last_us, validation, validation_ok, event_store_key, parser_version, rnndb_version,
           warnings, search_text FROM trace WHERE submission_id = $1 ORDER BY member`,
      ),
      devices: await q(
        `SELECT * FROM trace_device WHERE trace_id IN ${traceIds} ORDER BY trace_id, position`,
      ),
      cards: await q(`SELECT * FROM trace_card WHERE trace_id IN ${traceIds} ORDER BY trace_id, card_index`),
      markers: await q(`SELECT * FROM trace_marker WHERE trace_id IN ${traceIds} ORDER BY trace_id, seq`),
      registers: await q(
        `SELECT * FROM register_stat WHERE trace_id IN ${traceIds} ORDER BY trace_id, card_index, bar, "offset"`,
      ),
    };
  } finally {
    await client.end();
  }
}

/** Opens a trace's event store from blob storage. */
export async function openStore(storage: LocalBlobStore, key: string) {
  const size = (await storage.size(key))!;
  return openEventStore<EventStoreApp>(async (start, end) => {
    const chunks: Buffer[] = [];
    for await (const c of await storage.get(key, { start, end: end - 1 })) chunks.push(c as Buffer);
    return Buffer.concat(chunks);
  }, size);
}

/** Every file in a local store's directory (blobs and unfinished writes), as paths under it. */
export async function storedFiles(storage: LocalBlobStore): Promise<string[]> {
  const entries = await readdir(storage.root, { recursive: true, withFileTypes: true }).catch(() => []);
  return entries
    .filter((e) => e.isFile())
    .map((e) => relative(storage.root, join(e.parentPath, e.name)))
    .sort();
}

export async function waitFor<T>(fn: () => Promise<T | undefined>, ms: number, what: string): Promise<T> {
  const until = Date.now() + ms;
  for (;;) {
    const v = await fn();
    if (v !== undefined) return v;
    if (Date.now() > until) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

/** Archives of the same trace that differ (archives are unique by content) only in a side file. */
export const archiveOf = async (trace: Buffer) =>
  gzip(
    await tar([
      { name: "big.mmiotrace", body: trace },
      { name: "nonce.txt", body: Buffer.from(nonce()) },
    ]),
  );

/** Stored rows without what differs by nature between two runs or submissions (ids). */
export function comparable(rows: Awaited<ReturnType<typeof storedRows>>) {
  const strip = <T extends Record<string, unknown>>(list: T[], ...keys: string[]) =>
    list.map((r) => Object.fromEntries(Object.entries(r).filter(([k]) => !keys.includes(k))));
  return {
    submission: strip(rows.submission, "id"),
    traces: strip(rows.traces, "id"),
    devices: strip(rows.devices, "trace_id"),
    cards: strip(rows.cards, "trace_id"),
    markers: strip(rows.markers, "trace_id"),
    registers: strip(rows.registers, "trace_id"),
  };
}
