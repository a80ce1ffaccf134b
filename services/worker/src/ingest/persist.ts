import { randomBytes } from "node:crypto";
import { Readable } from "node:stream";
import { pipeline } from "node:stream/promises";
import type { BlobStore } from "@mmiohub/storage";
import pg from "pg";
import { from as copyFrom } from "pg-copy-streams";
import type { CardRow, TraceWarning } from "../index-trace/identify";
import type { RegisterStatRow } from "../index-trace/register-stats";
import { BlobVanishedError, lockBlobsForCommit } from "./blob-guard";

const newTraceId = () =>
  randomBytes(8).toString("base64url").replace(/[-_]/g, "x").toLowerCase().slice(0, 10);

/** Everything stored for one trace. */
export interface TraceRecord {
  member: string;
  textBytes: number;
  lineCount: number;
  recordCounts: Record<string, number>;
  eventCount: number;
  accessCount: number;
  lostEvents: number;
  firstUs: number | null;
  lastUs: number | null;
  validation: unknown;
  validationOk: boolean;
  eventStoreKey: string;
  parserVersion: string;
  rnndbVersion: string | null;
  warnings: TraceWarning[];
  searchText: string;
  devices: {
    position: number;
    busDevfn: string;
    vendorId: number;
    deviceId: number;
    irq: number;
    driver: string | null;
    bars: unknown;
  }[];
  cards: CardRow[];
  markers: {
    seq: number;
    eventIndex: number;
    timeUs: number;
    kind: "mark" | "lost";
    text: string;
    lost: number;
  }[];
  /** Rows keyed by card index. */
  registers: () => Iterable<Omit<RegisterStatRow, "device"> & { card: number }>;
}

export interface SubmissionUpdate {
  description: string | null;
  kernel: string | null;
  driverName: string | null;
  driverVersion: string | null;
  notes: unknown[];
  /** The form's metadata with metadata.json merged in (merge-metadata.ts); absent: left as stored. */
  metadata?: Record<string, unknown>;
  privateMetadata?: Record<string, unknown>;
  hostname?: string | null;
  /** Protected keys the archive's metadata.json holds (merge-metadata.ts); absent: left as stored. */
  archiveProtected?: string[];
}

/** COPY text format: backslash, tab, newline and carriage return escaped; \N is NULL. */
function copyText(v: string | number | null): string {
  if (v === null) return "\\N";
  if (typeof v === "number") return String(v);
  return v.replace(/[\\\t\n\r]/g, (c) =>
    c === "\\" ? "\\\\" : c === "\t" ? "\\t" : c === "\n" ? "\\n" : "\\r",
  );
}

async function copyRows(
  client: pg.ClientBase,
  table: string,
  columns: string[],
  rows: Iterable<(string | number | null)[]>,
): Promise<void> {
  const stream = client.query(
    copyFrom(`COPY "${table}" (${columns.map((c) => `"${c}"`).join(", ")}) FROM STDIN`),
  );
  const lines = function* () {
    let buf = "";
    for (const row of rows) {
      buf += `${row.map(copyText).join("\t")}\n`;
      if (buf.length > 1 << 16) {
        yield buf;
        buf = "";
      }
    }
    if (buf) yield buf;
  };
  await pipeline(Readable.from(lines()), stream);
}

export type SaveOutcome =
  | { saved: true; replacedEventStores: string[] }
  | { saved: false; reason: "gone" | "finished" };

/**
 * Replaces the submission's traces with the new result and marks it done, in one transaction:
 * either everything of this run is visible or nothing is, so a retry after a crash leaves exactly
 * the rows of a clean run. The submission row is locked first, so two workers on the same
 * submission (a stalled job handed out again) take turns; the second finds it done. A trace keeps
 * its id and creation time across runs (matched by member name): permanent links survive
 * reprocessing. Register statistics and markers go in with COPY (~10x a multi-row INSERT).
 */
export async function saveTraces(
  databaseUrl: string,
  submissionId: string,
  traces: TraceRecord[],
  update: SubmissionUpdate,
  options: {
    allowDone?: boolean;
    /** The blobs the rows name (event stores, attachments): checked present under their locks. */
    blobs?: string[];
    storage?: Pick<BlobStore, "size">;
  } = {},
): Promise<SaveOutcome> {
  const client = new pg.Client({ connectionString: databaseUrl });
  await client.connect();
  try {
    await client.query("BEGIN");
    const locked = await client.query<{ status: string }>(
      `SELECT status FROM "submission" WHERE id = $1 FOR UPDATE`,
      [submissionId],
    );
    const status = locked.rows[0]?.status;
    if (!status || status === "failed" || (status === "done" && !options.allowDone)) {
      await client.query("ROLLBACK");
      return { saved: false, reason: status ? "finished" : "gone" };
    }
    if (options.blobs?.length && options.storage) {
      const missing = await lockBlobsForCommit(client, options.storage, options.blobs);
      if (missing.length > 0) throw new BlobVanishedError(missing);
    }
    const previous = await client.query<{
      id: string;
      member: string;
      created_at: Date;
      event_store_key: string | null;
    }>(`SELECT id, member, created_at, event_store_key FROM "trace" WHERE submission_id = $1`, [
      submissionId,
    ]);
    const before = new Map(previous.rows.map((r) => [r.member, r]));
    await client.query(`DELETE FROM "trace" WHERE submission_id = $1`, [submissionId]);
    for (const t of traces) {
      const old = before.get(t.member);
      const id = old?.id ?? newTraceId();
      await client.query(
        `INSERT INTO "trace" (id, submission_id, member, text_bytes, line_count, record_counts, created_at,
           event_count, access_count, lost_events, first_us, last_us, validation, validation_ok,
           event_store_key, parser_version, rnndb_version, warnings, search_text)
         VALUES ($1, $2, $3, $4, $5, $6, COALESCE($7, CURRENT_TIMESTAMP), $8, $9, $10, $11, $12, $13, $14,
           $15, $16, $17, $18, $19)`,
        [
          id,
          submissionId,
          t.member,
          t.textBytes,
          t.lineCount,
          JSON.stringify(t.recordCounts),
          old?.created_at ?? null,
          t.eventCount,
          t.accessCount,
          t.lostEvents,
          t.firstUs,
          t.lastUs,
          JSON.stringify(t.validation),
          t.validationOk,
          t.eventStoreKey,
          t.parserVersion,
          t.rnndbVersion,
          JSON.stringify(t.warnings),
          t.searchText,
        ],
      );
      await copyRows(
        client,
        "trace_device",
        ["trace_id", "position", "bus_devfn", "vendor_id", "device_id", "irq", "driver", "bars"],
        t.devices.map((d) => [
          id,
          d.position,
          d.busDevfn,
          d.vendorId,
          d.deviceId,
          d.irq,
          d.driver,
          JSON.stringify(d.bars),
        ]),
      );
      await copyRows(
        client,
        "trace_card",
        [
          "trace_id",
          "card_index",
          "device_position",
          "vendor_id",
          "device_id",
          "subsystem_vendor_id",
          "subsystem_device_id",
          "pci_name",
          "chipset",
          "code_name",
          "family",
          "architecture",
          "stepping",
          "source",
          "accesses",
        ],
        t.cards.map((c) => [
          id,
          c.cardIndex,
          c.devicePosition,
          c.vendorId,
          c.deviceId,
          c.subsystemVendorId,
          c.subsystemDeviceId,
          c.pciName,
          c.chipset,
          c.codeName,
          c.family,
          c.architecture,
          c.stepping,
          c.source,
          c.accesses,
        ]),
      );
      await copyRows(
        client,
        "trace_marker",
        ["trace_id", "seq", "event_index", "time_us", "kind", "text", "lost"],
        t.markers.map((m) => [id, m.seq, m.eventIndex, m.timeUs, m.kind, m.text, m.lost]),
      );
      const regs = t.registers();
      await copyRows(
        client,
        "register_stat",
        ["trace_id", "card_index", "bar", "offset", "span", "reads", "writes", "first_event", "last_event"],
        (function* () {
          for (const r of regs)
            yield [id, r.card, r.bar, r.offset, r.span, r.reads, r.writes, r.firstEvent, r.lastEvent];
        })(),
      );
    }
    await client.query(
      `UPDATE "submission" SET status = 'done', reason_code = NULL, reason = NULL,
         finished_at = CURRENT_TIMESTAMP, updated_at = CURRENT_TIMESTAMP,
         description = COALESCE(description, $2), kernel = $3, driver_name = $4, driver_version = $5,
         notes = $6, metadata = COALESCE($7, metadata), private_metadata = COALESCE($8, private_metadata),
         hostname = COALESCE(hostname, $9), archive_protected = COALESCE($10, archive_protected)
       WHERE id = $1`,
      [
        submissionId,
        update.description,
        update.kernel,
        update.driverName,
        update.driverVersion,
        JSON.stringify(update.notes),
        update.metadata ? JSON.stringify(update.metadata) : null,
        update.privateMetadata ? JSON.stringify(update.privateMetadata) : null,
        update.hostname ?? null,
        update.archiveProtected ?? null,
      ],
    );
    await client.query("COMMIT");
    const kept = new Set(traces.map((t) => t.eventStoreKey));
    const replaced = previous.rows
      .map((r) => r.event_store_key)
      .filter((k): k is string => k !== null && !kept.has(k));
    return { saved: true, replacedEventStores: replaced };
  } catch (err) {
    await client.query("ROLLBACK").catch(() => {});
    throw err;
  } finally {
    await client.end().catch(() => {});
  }
}
