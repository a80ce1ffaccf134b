import type { Redis } from "ioredis";
import { beforeAll, describe, expect, it } from "vitest";
import { ingestSubmission } from "../src/ingest/pipeline";
import { archiveOf, comparable, prisma, sample, storedFiles, storedRows, submit, waitFor } from "./helpers";
import { bigTrace, stopWorker, workerTestBed } from "./worker-process";

// Exactly once under crashes, with the real worker process: SIGKILL in the middle of a job, Redis
// losing its jobs, and an archive that kills every worker that touches it.
const bed = workerTestBed("cr", { JOB_LOCK_MS: "1500", SWEEP_INTERVAL_MS: "1000", STALE_AFTER_MS: "1000" });
const worker = bed.worker;
let trace: Buffer;

const status = async (id: string) =>
  (await prisma().submission.findUniqueOrThrow({ where: { id } })) as {
    status: string;
    attempts: number;
    reasonCode: string | null;
    reason: string | null;
  };

beforeAll(() => {
  trace = bigTrace(400_000);
});

// Worker processes start in ~2 s on an idle machine; the generous timeouts are for a busy one.
describe("crash safety", { timeout: 300_000 }, () => {
  it("SIGKILL in the middle of a job: after a restart the rows equal those of a clean run", async () => {
    const clean = await submit(bed.deps, await archiveOf(trace), "clean.tar.gz");
    expect(await ingestSubmission(bed.deps, clean)).toBe("done");
    const cleanRows = await storedRows(clean);

    const id = await submit(bed.deps, await archiveOf(trace), "crash.tar.gz");
    const filesBefore = await storedFiles(bed.deps.storage);
    await bed.queue.add("ingest", { submissionId: id }, { jobId: `ingest-${id}` });
    const first = worker();
    await waitFor(
      async () => ((await status(id)).status === "processing" ? true : undefined),
      120_000,
      "processing",
    );
    // the event store is being written: the middle of the job
    await waitFor(
      async () =>
        (await storedFiles(bed.deps.storage)).some((f) => f.startsWith("tmp/")) ? true : undefined,
      60_000,
      "the event store to be written",
    );
    await stopWorker(first, "SIGKILL");
    expect((await status(id)).status).toBe("processing");
    expect((await storedRows(id)).traces).toEqual([]); // nothing half-written is visible

    const second = worker();
    const done = await waitFor(
      async () => {
        const s = await status(id);
        return s.status === "done" || s.status === "failed" ? s : undefined;
      },
      180_000,
      `the submission to finish after the restart (${second.output().slice(-1500)})`,
    );
    expect(done.status).toBe("done");
    expect(done.attempts).toBe(2);
    expect(comparable(await storedRows(id))).toEqual(comparable(cleanRows));
    // Files: the clean run's event store is reused (same bytes, same key); the only new blob is
    // this archive's own side file, kept as an attachment. No partial blob is visible.
    const s = await prisma().submission.findUniqueOrThrow({ where: { id } });
    const attachments = (s.notes as { attachments?: { key: string }[] }[]).flatMap(
      (n) => n.attachments ?? [],
    );
    const added = (await storedFiles(bed.deps.storage)).filter(
      (f) => !filesBefore.includes(f) && f.startsWith("sha256/"),
    );
    expect(added).toEqual(attachments.map((a) => `sha256/${a.key.slice(0, 2)}/${a.key}`));
    await stopWorker(second);
  });

  it("Redis loses every job: submissions still all get processed", async () => {
    const ids = [
      await submit(bed.deps, await archiveOf(await sample("edu-qemu.mmiotrace")), "a.tgz"),
      await submit(bed.deps, await archiveOf(await sample("gt215_i2c_seq.mmiotrace")), "b.tgz"),
      await submit(bed.deps, await archiveOf(await sample("gk107_hand.mmiotrace")), "c.tgz"),
    ];
    for (const id of ids) await bed.queue.add("ingest", { submissionId: id }, { jobId: `ingest-${id}` });
    // what FLUSHALL would do to this queue (other tests share the Redis server)
    const redis = (await bed.queue.client) as unknown as Redis;
    const keys = await redis.keys(`bull:${bed.prefix}-ingest:*`);
    expect(keys.length).toBeGreaterThan(0);
    await redis.del(...keys);
    expect(await bed.queue.count()).toBe(0);
    const w = worker();
    for (const id of ids) {
      const s = await waitFor(
        async () => {
          const r = await status(id);
          return r.status === "done" || r.status === "failed" ? r : undefined;
        },
        120_000,
        `${id} to be processed (${w.output().slice(-1000)})`,
      );
      expect(s.status).toBe("done");
    }
    // and while the worker runs: a submission whose job never reached Redis is picked up by the sweep
    const late = await submit(bed.deps, await archiveOf(await sample("gk107_hand.mmiotrace")), "late.tgz");
    const s = await waitFor(
      async () => ((await status(late)).status === "done" ? "done" : undefined),
      30_000,
      "the sweep to pick up a submission without a job",
    );
    expect(s).toBe("done");
    await stopWorker(w);
  });

  it("an archive that kills every worker fails for good after MAX_ATTEMPTS", async () => {
    const id = await submit(bed.deps, await archiveOf(trace), "poison.tar.gz");
    await bed.queue.add("ingest", { submissionId: id }, { jobId: `ingest-${id}` });
    for (let attempt = 1; attempt <= 2; attempt++) {
      const w = worker({ MAX_ATTEMPTS: "2" });
      await waitFor(
        async () => {
          const s = await status(id);
          return s.status === "processing" && s.attempts === attempt ? true : undefined;
        },
        120_000,
        `attempt ${attempt} (status ${(await status(id)).status}, attempts ${(await status(id)).attempts}; ${w.output().slice(-3000)})`,
      );
      await stopWorker(w, "SIGKILL");
    }
    const w = worker({ MAX_ATTEMPTS: "2" });
    const s = await waitFor(
      async () => {
        const r = await status(id);
        return r.status === "failed" ? r : undefined;
      },
      120_000,
      `the poison archive to fail (${w.output().slice(-1000)})`,
    );
    expect(s.reasonCode).toMatch(/^(PROCESSING_ABANDONED|INTERNAL)$/);
    expect(s.reason).toMatch(/2 (times|attempts)/);
    expect((await storedRows(id)).traces).toEqual([]);
    await stopWorker(w);
  });
});
