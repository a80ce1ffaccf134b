import type { PrismaClient } from "@mmiohub/db";
import type { BlobInfo, BlobStore } from "@mmiohub/storage";
import type { Logger } from "pino";
import { deleteUnreferencedBlobs } from "./ingest/blob-guard";

/**
 * Deletes blobs nothing refers to. They appear when a process dies between storing a blob and
 * committing the row that names it (an upload killed mid-request, an ingest killed before its
 * transaction). A blob younger than `graceMs` is left alone: its row may be about to be committed.
 * References: submissions' archives, traces' event stores, and any `key` inside submission notes
 * (attachments).
 */
export async function collectBlobGarbage(
  prisma: PrismaClient,
  storage: BlobStore,
  log: Logger,
  options: { graceMs: number; batch?: number },
): Promise<{ scanned: number; deleted: number }> {
  const cutoff = Date.now() - options.graceMs;
  let scanned = 0;
  let deleted = 0;
  let candidates: BlobInfo[] = [];
  const flush = async () => {
    if (candidates.length === 0) return;
    const keys = candidates.map((c) => c.key);
    candidates = [];
    // under each blob's advisory lock: a run about to commit a row naming it wins (blob-guard.ts)
    deleted += (await deleteUnreferencedBlobs(prisma, storage, keys)).length;
  };
  for await (const blob of storage.list()) {
    scanned++;
    if (blob.modifiedAt.getTime() > cutoff) continue;
    candidates.push(blob);
    if (candidates.length >= (options.batch ?? 500)) await flush();
  }
  await flush();
  // Temporary files of puts cut short by a kill: never referenced, safe to drop once old.
  const temporaries = await storage.removeStaleTemporaries(options.graceMs);
  if (deleted || temporaries) log.info({ scanned, deleted, temporaries }, "deleted unreferenced blobs");
  return { scanned, deleted };
}
