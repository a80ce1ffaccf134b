import type { PrismaClient } from "@mmiohub/db";
import type { BlobStore } from "@mmiohub/storage";
import type pg from "pg";

// Blobs are content-addressed, so two runs can hold the same blob: a retry of a job still running
// elsewhere, or two submissions of the same trace (same event store). A run that fails deletes
// the blobs it wrote that nothing references; without a lock its check ("nothing references it")
// and its delete can straddle the other run's commit, which then names a deleted blob. So:
//  - deleting takes the blob's advisory lock exclusively, checks the references and deletes
//    under it (failed runs, replaced event stores, the blob GC);
//  - committing rows that name a blob takes the lock shared and first checks the blob is still
//    there (else the commit is called off and the job retried: its run writes the blob again).
// Locks are taken in key order, so a deleter and a saver never wait on each other in a circle.

/** Advisory lock id of a blob key (64 hex digits): its first 60 bits, as a decimal string. */
export function blobLockId(key: string): string {
  return BigInt(`0x${key.slice(0, 15)}`).toString();
}

const sorted = (keys: Iterable<string>) => [...new Set(keys)].sort();

/** Takes the shared lock of each blob in `client`'s transaction; returns the blobs that are missing. */
export async function lockBlobsForCommit(
  client: pg.ClientBase,
  storage: Pick<BlobStore, "size">,
  keys: Iterable<string>,
): Promise<string[]> {
  const missing: string[] = [];
  for (const key of sorted(keys)) {
    await client.query("SELECT pg_advisory_xact_lock_shared($1::bigint)", [blobLockId(key)]);
    if ((await storage.size(key)) === null) missing.push(key);
  }
  return missing;
}

/** Thrown when a blob a run wrote was deleted before its rows were committed: retried. */
export class BlobVanishedError extends Error {
  constructor(readonly keys: string[]) {
    super(`blob(s) ${keys.join(", ")} were deleted before the run committed; the job is retried`);
    this.name = "BlobVanishedError";
  }
}

/**
 * Deletes those of `keys` that no row references (a submission's archive, a trace's event store,
 * an attachment named in a submission's notes: found through submission_note_keys_idx), each
 * under its exclusive advisory lock held until the references were checked and the blob deleted.
 * Returns the deleted keys.
 */
export async function deleteUnreferencedBlobs(
  prisma: PrismaClient,
  storage: Pick<BlobStore, "delete">,
  keys: Iterable<string>,
): Promise<string[]> {
  const candidates = sorted(keys);
  if (candidates.length === 0) return [];
  return prisma.$transaction(
    async (tx) => {
      for (const key of candidates)
        await tx.$executeRaw`SELECT pg_advisory_xact_lock(${blobLockId(key)}::bigint)`;
      const referenced = await tx.$queryRaw<{ k: string }[]>`
        SELECT archive_sha256 AS k FROM submission WHERE archive_sha256 = ANY(${candidates})
        UNION SELECT event_store_key FROM trace WHERE event_store_key = ANY(${candidates})
        UNION SELECT k FROM submission s,
                jsonb_array_elements_text(jsonb_path_query_array(s.notes, 'strict $.**.key')) AS k
              WHERE jsonb_path_query_array(s.notes, 'strict $.**.key') ?| ${candidates}::text[]
                AND k = ANY(${candidates})`;
      const keep = new Set(referenced.map((r) => r.k));
      const deleted: string[] = [];
      for (const key of candidates) {
        if (keep.has(key)) continue;
        await storage.delete(key);
        deleted.push(key);
      }
      return deleted;
    },
    { timeout: 120_000, maxWait: 30_000 },
  );
}
