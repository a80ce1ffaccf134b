import { text } from "node:stream/consumers";
import type { PrismaClient } from "@mmiohub/db";
import type { BlobStore } from "@mmiohub/storage";
import { BlobNotFoundError } from "@mmiohub/storage";
import type { Logger } from "pino";
import type { WorkerConfig } from "../env";
import { indexThreadEnabled } from "../index-trace/index-thread";
import { type IndexedTrace, indexTrace } from "../index-trace/index-trace";
import { PAGE_BYTES } from "../index-trace/register-stats";
import { openArchive, peek } from "./archive";
import { deleteUnreferencedBlobs } from "./blob-guard";
import { indexContext } from "./context";
import { IngestError, RunStopped } from "./errors";
import { Notes } from "./notes";
import { saveTraces } from "./persist";
import { buildRecords } from "./records";
import { looksLikeTrace } from "./trace-detect";

export interface IngestDeps {
  prisma: PrismaClient;
  storage: BlobStore;
  config: WorkerConfig;
  log: Logger;
}

/**
 * One run of a submission's ingest, as the shutdown's hand-back sees it. `stopping` is set when
 * the job is being handed back; `counted` is the write that counts the run as an attempt, once the
 * run has started it. The check of the one and the start of the other happen without an await in
 * between, so a hand-back either finds the write (and waits for it before uncounting the run) or
 * the run never counts.
 */
export interface IngestRun {
  stopping: boolean;
  counted?: Promise<void>;
}

export interface FoundTrace {
  member: string;
  textBytes: number;
  lineCount: number;
  recordCounts: Record<string, number>;
  accessCount: number;
  indexed: IndexedTrace;
}

export interface Attachment {
  name: string;
  size: number;
  /** Blob key, or null when it was larger than MAX_ATTACHMENT_BYTES (listed, not kept). */
  key: string | null;
}

const SIDE_FILE_LIMIT = 1024 * 1024;

/** tar-stream and stream plumbing report archive faults as plain errors: give them our codes. */
function asIngestError(err: unknown): unknown {
  if (err instanceof IngestError) return err;
  const message = (err as Error)?.message ?? String(err);
  if (/unexpected end of data|premature|truncated/i.test(message)) {
    return new IngestError("ARCHIVE_TRUNCATED", `the archive ends in the middle of a member (${message})`);
  }
  if (/invalid tar header|header checksum|invalid (base256|octal|checksum)/i.test(message)) {
    return new IngestError("ARCHIVE_CORRUPT", `the tar archive is corrupt (${message})`);
  }
  return err;
}

/** Keeps a member as an attachment blob, or only lists it when it is too large. */
async function keepAttachment(
  deps: IngestDeps,
  name: string,
  stream: AsyncIterable<Buffer>,
): Promise<Attachment> {
  const limit = deps.config.MAX_ATTACHMENT_BYTES;
  const it = stream[Symbol.asyncIterator]();
  let bytes = 0;
  // The blob store stops reading past the limit; its early exit must not destroy the member's
  // stream (the rest of it is still to be read to reach the next member), so `return` is a no-op.
  const source: AsyncIterable<Buffer> = {
    [Symbol.asyncIterator]: () => ({
      next: async () => {
        const r = await it.next();
        if (!r.done) bytes += r.value.length;
        return r;
      },
      return: async () => ({ done: true as const, value: undefined }),
    }),
  };
  try {
    const put = await deps.storage.put(source, { maxBytes: limit });
    return { name, size: put.size, key: put.key };
  } catch (err) {
    if ((err as { code?: string }).code !== "BLOB_TOO_LARGE") throw err;
    for (let r = await it.next(); !r.done; r = await it.next()) bytes += r.value.length;
    return { name, size: bytes, key: null };
  }
}

/**
 * Reads a submission's archive, finds its trace(s) by content and indexes each in one pass (event
 * store, register statistics, checkpoints). Throws IngestError for faults of the archive itself
 * (permanent), anything else for faults of ours (retried). On any failure, the event stores written
 * so far that nothing references are removed again.
 */
export async function readSubmission(
  deps: IngestDeps,
  archiveKey: string,
  archiveSize: number,
  archiveName: string,
  notes: Notes = new Notes(),
) {
  const { config } = deps;
  const ctx = await indexContext(config, deps.log);
  const raw = await deps.storage.get(archiveKey).catch((err) => {
    throw err instanceof BlobNotFoundError
      ? new IngestError("ARCHIVE_BLOB_MISSING", "the uploaded archive is missing from storage")
      : err;
  });
  const t0 = performance.now();
  const archive = await openArchive(raw, archiveSize, archiveName, {
    maxBytes: config.MAX_TRACE_BYTES,
    maxRatio: config.MAX_EXPANSION_RATIO,
    checkRatioAfter: config.EXPANSION_CHECK_AFTER_BYTES,
    maxMembers: config.MAX_ARCHIVE_MEMBERS,
  });
  const traces: FoundTrace[] = [];
  const attachments: Attachment[] = [];
  const side: { description?: string; metadata?: string } = {};
  const written: string[] = [];
  try {
    for await (const member of archive.members) {
      const { head, stream } = await peek(member.stream, 4096);
      if (looksLikeTrace(head)) {
        const t1 = performance.now();
        const indexed = await indexTrace(stream, {
          storage: deps.storage,
          member: member.name,
          maxLineBytes: config.MAX_LINE_BYTES,
          parserVersion: ctx.parserVersion,
          annotatorDatabases: ctx.databases,
          rnndbVersion: ctx.rnndbVersion,
          ...(indexThreadEnabled() ? { thread: { rnndbDir: config.MMIOHUB_RNNDB ?? null } } : {}),
          blockEvents: config.EVENT_BLOCK_EVENTS,
          checkpointInterval: config.CHECKPOINT_INTERVAL,
        });
        written.push(indexed.eventStore.key);
        if (indexed.rnndbError) deps.log.warn({ error: indexed.rnndbError }, "no NVIDIA checkpoints");
        const s = indexed.summary;
        const paged = indexed.registers.pagedBars();
        notes.add(
          "index",
          true,
          performance.now() - t1,
          `${member.name}: ${s.events} events (${s.accesses.total} accesses) in ${s.bytes} bytes; event store ${indexed.eventStore.size} bytes, ${indexed.eventStore.meta.blockCount} blocks, ${indexed.eventStore.meta.checkpointCount} checkpoints; ${indexed.registers.count} register statistics rows${paged.length ? ` (per ${PAGE_BYTES / 1024} KiB page: ${paged.join(", ")})` : ""}${indexed.registers.truncated ? " (truncated at the cap)" : ""}`,
          {
            member: member.name,
            parserVersion: ctx.parserVersion,
            rnndbVersion: indexed.eventStore.meta.app.rnndbVersion,
            ...(indexed.rnndbError ? { rnndbError: indexed.rnndbError } : {}),
            registersPerPage: paged,
            registersTruncated: indexed.registers.truncated,
          },
        );
        traces.push({
          member: member.name,
          textBytes: s.bytes,
          lineCount: s.lines,
          recordCounts: { ...s.counts },
          accessCount: s.accesses.total,
          indexed,
        });
        continue;
      }
      const base = member.name.split("/").pop();
      if (base === "description.txt" || base === "metadata.json") {
        const content = await text(stream);
        if (content.length <= SIDE_FILE_LIMIT)
          side[base === "description.txt" ? "description" : "metadata"] = content;
        continue;
      }
      const kept = await keepAttachment(deps, member.name, stream);
      if (kept.key) written.push(kept.key);
      attachments.push(kept);
    }
    await archive.done;
    notes.add(
      "unpack",
      true,
      performance.now() - t0,
      `${archive.compression}${archive.isTar ? " tar" : ""}: ${archive.inflatedBytes()} bytes from ${archiveSize}; ${traces.length} trace(s), ${attachments.length} attachment(s)`,
      { attachments },
    );
    if (traces.length === 0) {
      throw new IngestError(
        "TRACE_NOT_FOUND",
        archive.isTar
          ? "no member of the archive is an mmiotrace log (none starts with VERSION/PCIDEV lines)"
          : "the file is not an mmiotrace log (it does not start with VERSION/PCIDEV lines)",
      );
    }
    for (const t of traces) {
      if (t.accessCount === 0) {
        throw new IngestError(
          "TRACE_EMPTY",
          `the trace '${t.member}' contains no register accesses (0 R/W events)`,
        );
      }
    }
    return { traces, side, attachments, compression: archive.compression };
  } catch (err) {
    archive.abort();
    await dropUnreferenced(deps, written);
    // A decoder failure explains a stream that stopped early: prefer its reason.
    const settled = await Promise.race([
      archive.done.then(
        () => null,
        (decoderErr: unknown) => decoderErr,
      ),
      new Promise((resolve) => setTimeout(resolve, 2_000, null)),
    ]);
    throw settled instanceof IngestError ? settled : asIngestError(err);
  }
}

/** Removes blobs this run wrote that nothing references (nothing half-done stays behind). */
async function dropUnreferenced(deps: IngestDeps, keys: string[]): Promise<void> {
  if (keys.length === 0) return;
  try {
    await deleteUnreferencedBlobs(deps.prisma, deps.storage, keys);
  } catch (err) {
    deps.log.warn({ err }, "could not remove unreferenced blobs");
  }
}

/**
 * Runs the whole ingest for one submission and stores the outcome. Safe to run again: a retry
 * after a crash ends with the rows of a clean run. `reprocess` runs it on a finished submission.
 */
export async function ingestSubmission(
  deps: IngestDeps,
  submissionId: string,
  run: IngestRun = { stopping: false },
): Promise<"done" | "skipped"> {
  const submission = await deps.prisma.submission.findUnique({ where: { id: submissionId } });
  if (!submission) {
    deps.log.warn({ submissionId }, "no such submission; dropping job");
    return "skipped";
  }
  if (submission.status === "done" || submission.status === "failed") return "skipped";
  if (submission.attempts >= deps.config.MAX_ATTEMPTS) {
    // Every earlier attempt died without an answer (the process was killed: out of memory, a
    // crash): a poison archive. Fail it for good rather than crash-loop the workers.
    throw new IngestError(
      "PROCESSING_ABANDONED",
      `processing was attempted ${submission.attempts} times and never completed (the worker died each time)`,
    );
  }
  if (run.stopping) throw new RunStopped();
  run.counted = deps.prisma.submission
    .update({
      where: { id: submissionId },
      // a reprocessed submission keeps saying so (its previous traces are still the ones shown)
      data: {
        status: submission.status === "reprocessing" ? "reprocessing" : "processing",
        attempts: { increment: 1 },
      },
    })
    .then(() => undefined);
  await run.counted;
  const notes = new Notes();
  const result = await readSubmission(
    deps,
    submission.archiveSha256,
    Number(submission.archiveSize),
    submission.archiveName,
    notes,
  );
  const ctx = await indexContext(deps.config, deps.log);
  const built = buildRecords(submission, result, ctx, notes);
  const t0 = performance.now();
  const keys = result.traces.map((t) => t.indexed.eventStore.key);
  const outcome = await saveTraces(deps.config.DATABASE_URL, submissionId, built.traces, built.update, {
    storage: deps.storage,
    blobs: [...keys, ...result.attachments.flatMap((a) => (a.key ? [a.key] : []))],
  });
  if (!outcome.saved) {
    await dropUnreferenced(deps, keys);
    return "skipped";
  }
  deps.log.debug({ ms: Math.round(performance.now() - t0) }, "saved");
  await dropUnreferenced(deps, outcome.replacedEventStores);
  return "done";
}

export async function markFailed(prisma: PrismaClient, submissionId: string, code: string, reason: string) {
  // A failed reprocessing leaves the previous result in place (done), with why the new run failed.
  await prisma.submission.updateMany({
    where: { id: submissionId, status: "reprocessing" },
    data: {
      status: "done",
      reasonCode: code,
      reason: `reprocessing failed; the previous result is kept: ${reason}`.slice(0, 2000),
      finishedAt: new Date(),
    },
  });
  await prisma.submission.updateMany({
    where: { id: submissionId, status: { in: ["received", "processing"] } },
    data: { status: "failed", reasonCode: code, reason: reason.slice(0, 2000), finishedAt: new Date() },
  });
}
