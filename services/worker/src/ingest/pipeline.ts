import { text } from "node:stream/consumers";
import type { Db, PrismaClient } from "@mmiohub/db";
import type { BlobStore } from "@mmiohub/storage";
import { BlobNotFoundError } from "@mmiohub/storage";
import type { Logger } from "pino";
import type { WorkerConfig } from "../env";
import { analyzeTrace, looksLikeTrace, type TraceAnalysis } from "./analyze";
import { openArchive, peek } from "./archive";
import { IngestError } from "./errors";
import { saveTraces } from "./persist";

export interface IngestDeps {
  prisma: PrismaClient;
  storage: BlobStore;
  config: WorkerConfig;
  log: Logger;
}

export interface FoundTrace extends TraceAnalysis {
  member: string;
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

/**
 * Reads a submission's archive and finds its trace(s): returns what to store. Throws IngestError for
 * faults of the archive itself (permanent), anything else for faults of ours (retried).
 */
export async function readSubmission(
  deps: IngestDeps,
  archiveKey: string,
  archiveSize: number,
  archiveName: string,
) {
  const { config } = deps;
  const raw = await deps.storage.get(archiveKey).catch((err) => {
    throw err instanceof BlobNotFoundError
      ? new IngestError("ARCHIVE_BLOB_MISSING", "the uploaded archive is missing from storage")
      : err;
  });
  const archive = await openArchive(raw, archiveSize, archiveName, {
    maxBytes: config.MAX_TRACE_BYTES,
    maxRatio: config.MAX_EXPANSION_RATIO,
    checkRatioAfter: config.EXPANSION_CHECK_AFTER_BYTES,
    maxMembers: config.MAX_ARCHIVE_MEMBERS,
  });
  const traces: FoundTrace[] = [];
  const side: { description?: string; metadata?: string } = {};
  try {
    for await (const member of archive.members) {
      const { head, stream } = await peek(member.stream, 4096);
      if (looksLikeTrace(head)) {
        traces.push({ member: member.name, ...(await analyzeTrace(stream, config.MAX_LINE_BYTES)) });
        continue;
      }
      const base = member.name.split("/").pop();
      if (base === "description.txt" || base === "metadata.json") {
        const content = await text(stream);
        if (content.length <= SIDE_FILE_LIMIT)
          side[base === "description.txt" ? "description" : "metadata"] = content;
        continue;
      }
      for await (const _ of stream); // other members: attachments (kept in a later step)
    }
    await archive.done;
  } catch (err) {
    // A decoder failure explains a stream that stopped early: prefer its reason.
    archive.abort();
    const settled = await Promise.race([
      archive.done.then(
        () => null,
        (decoderErr: unknown) => decoderErr,
      ),
      new Promise((resolve) => setTimeout(resolve, 2_000, null)),
    ]);
    throw settled instanceof IngestError ? settled : asIngestError(err);
  }
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
  return { traces, side, compression: archive.compression };
}

/** Runs the whole ingest for one submission and stores the outcome. Safe to run again. */
export async function ingestSubmission(deps: IngestDeps, submissionId: string): Promise<"done" | "skipped"> {
  const submission = await deps.prisma.submission.findUnique({ where: { id: submissionId } });
  if (!submission) {
    deps.log.warn({ submissionId }, "no such submission; dropping job");
    return "skipped";
  }
  if (submission.status === "done" || submission.status === "failed") return "skipped";
  await deps.prisma.submission.update({
    where: { id: submissionId },
    data: { status: "processing", attempts: { increment: 1 } },
  });
  const result = await readSubmission(
    deps,
    submission.archiveSha256,
    Number(submission.archiveSize),
    submission.archiveName,
  );
  await deps.prisma.$transaction((tx: Db) => saveTraces(tx, submissionId, result.traces, result.side));
  return "done";
}

export async function markFailed(prisma: PrismaClient, submissionId: string, code: string, reason: string) {
  await prisma.submission.updateMany({
    where: { id: submissionId, status: { not: "done" } },
    data: { status: "failed", reasonCode: code, reason: reason.slice(0, 2000), finishedAt: new Date() },
  });
}
