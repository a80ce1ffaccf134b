import { Readable } from "node:stream";
import { LocalBlobStore, type PutOptions, type PutResult } from "@mmiohub/storage";
import pg from "pg";
import { afterAll, describe, expect, it } from "vitest";
import { closeIndexThreads } from "../src/index-trace/index-thread";
import {
  BlobVanishedError,
  blobLockId,
  deleteUnreferencedBlobs,
  lockBlobsForCommit,
} from "../src/ingest/blob-guard";
import { ingestSubmission } from "../src/ingest/pipeline";
import { makeDeps, nonce, prisma, sample, storedRows, submit, waitFor, xz } from "./helpers";

afterAll(() => closeIndexThreads());

/**
 * The real local store, except that right after it stored an event store (a blob starting with
 * the event store's magic) another run's cleanup deletes whatever nobody references yet: what a
 * failing retry of the same job, or a failing submission of the same trace, does at that moment.
 */
class RacedStore extends LocalBlobStore {
  raced: string[] = [];
  override async put(source: AsyncIterable<Uint8Array> | Readable, options?: PutOptions): Promise<PutResult> {
    let head = "";
    const tap = async function* () {
      for await (const c of source) {
        if (head.length < 8) head += Buffer.from(c).subarray(0, 8).toString("latin1");
        yield c;
      }
    };
    const put = await super.put(Readable.from(tap()), options);
    if (head.startsWith("MMIOEVS")) {
      this.raced.push(...(await deleteUnreferencedBlobs(prisma(), this, [put.key])));
    }
    return put;
  }
}

describe("blobs shared by concurrent runs", () => {
  it("a run whose event store was deleted before its commit commits nothing; the retry stores it", async () => {
    const base = await makeDeps();
    const raced = new RacedStore(base.storage.root);
    const deps = { ...base, storage: raced };
    const text = Buffer.concat([await sample("gk107_hand.mmiotrace"), Buffer.from(`MARK 0.0 ${nonce()}\n`)]);
    const id = await submit(deps, xz(text), "race.xz");
    const err = await ingestSubmission(deps, id).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(BlobVanishedError);
    expect(raced.raced).toHaveLength(1);
    const after = await storedRows(id);
    expect(after.submission[0].status).toBe("processing");
    expect(after.traces).toEqual([]);
    // the retry (no competing cleanup now) writes the event store again and commits
    expect(await ingestSubmission(base, id)).toBe("done");
    const done = await storedRows(id);
    expect(done.traces).toHaveLength(1);
    expect(await base.storage.size(done.traces[0].event_store_key)).toBeGreaterThan(0);
  });

  it("a cleanup waits for a run committing a row that names the blob, then keeps it", async () => {
    const { storage } = await makeDeps();
    const blob = await storage.put(Readable.from([Buffer.from(`shared blob ${nonce()}`)]));
    const saver = new pg.Client({ connectionString: process.env.DATABASE_URL });
    await saver.connect();
    try {
      await saver.query("BEGIN");
      expect(await lockBlobsForCommit(saver, storage, [blob.key])).toEqual([]);
      const cleanup = deleteUnreferencedBlobs(prisma(), storage, [blob.key]);
      // the cleanup is now blocked on this blob's lock (seen in pg_locks, not by timing): a 64-bit
      // advisory key shows as classid (high half) and objid (low half), objsubid 1, in this database
      const lock = BigInt(blobLockId(blob.key));
      await waitFor(
        async () => {
          const r = await saver.query(
            `SELECT 1 FROM pg_locks WHERE locktype = 'advisory' AND NOT granted AND pid <> pg_backend_pid()
               AND database = (SELECT oid FROM pg_database WHERE datname = current_database())
               AND classid = $1 AND objid = $2 AND objsubid = 1`,
            [String(lock >> 32n), String(lock & 0xffffffffn)],
          );
          return r.rowCount ? true : undefined;
        },
        10_000,
        "the cleanup to wait for the lock",
      );
      const id = `g${nonce()}`;
      await saver.query(
        `INSERT INTO submission (id, archive_sha256, archive_size, archive_name) VALUES ($1, $2, 1, 'a.xz')`,
        [id, blob.key],
      );
      await saver.query("COMMIT");
      expect(await cleanup).toEqual([]);
      expect(await storage.size(blob.key)).toBe(blob.size);
    } finally {
      await saver.end();
    }
  });

  it("a cleanup that gets the lock first deletes the blob, and the committing run sees it is gone", async () => {
    const { storage } = await makeDeps();
    const blob = await storage.put(Readable.from([Buffer.from(`orphan blob ${nonce()}`)]));
    expect(await deleteUnreferencedBlobs(prisma(), storage, [blob.key])).toEqual([blob.key]);
    const saver = new pg.Client({ connectionString: process.env.DATABASE_URL });
    await saver.connect();
    try {
      await saver.query("BEGIN");
      expect(await lockBlobsForCommit(saver, storage, [blob.key])).toEqual([blob.key]);
      await saver.query("ROLLBACK");
    } finally {
      await saver.end();
    }
  });
});
