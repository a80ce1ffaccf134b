import { pino } from "pino";
import { describe, expect, it } from "vitest";
import { collectBlobGarbage } from "../src/blob-gc";
import { ingestSubmission } from "../src/ingest/pipeline";
import { archiveOf, comparable, prisma, storedFiles, storedRows, submit, waitFor } from "./helpers";
import { bigTrace, said, stopWorker, type WorkerProcess, workerTestBed } from "./worker-process";

// Scale-out: three real worker processes on one queue, database and storage. Every submission is
// processed by exactly one of them, also when one is SIGKILLed in the middle of a job (its job is
// handed back once its lock expires and finished by another, once).
const TRACES = 4;
const COPIES = 5;
const bed = workerTestBed("mw", { JOB_LOCK_MS: "8000", SWEEP_INTERVAL_MS: "2000", STALE_AFTER_MS: "30000" });

describe("several workers on one queue", { timeout: 240_000 }, () => {
  it("process each of 20 submissions exactly once, also when one of them is SIGKILLed mid-job", async () => {
    const traces = Array.from({ length: TRACES }, (_, i) => bigTrace(40_000, i + 1));
    // The reference: one clean in-process run per trace.
    const clean: Awaited<ReturnType<typeof storedRows>>[] = [];
    for (const [i, t] of traces.entries()) {
      const id = await submit(bed.deps, await archiveOf(t), `clean-${i}.tar.gz`);
      expect(await ingestSubmission(bed.deps, id)).toBe("done");
      clean.push(await storedRows(id));
    }

    const workers = [0, 1, 2].map(() => bed.worker());
    for (const w of workers)
      await waitFor(
        async () => (said(w, "worker started").length ? true : undefined),
        60_000,
        `a worker to start (${w.output().slice(-1000)})`,
      );

    const ids: string[] = [];
    for (let n = 0; n < TRACES * COPIES; n++)
      ids.push(await submit(bed.deps, await archiveOf(traces[n % TRACES]!), `upload-${n}.tar.gz`));
    for (const id of ids) await bed.queue.add("ingest", { submissionId: id }, { jobId: `ingest-${id}` });

    // Kill the first worker while it is in the middle of a job (started, not finished), once the
    // others have finished something too.
    const [victim, ...survivors] = workers as [WorkerProcess, WorkerProcess, WorkerProcess];
    await waitFor(
      async () => {
        if (!survivors.every((w) => said(w, "ingest finished").length > 0)) return undefined;
        const started = said(victim, "ingest started").map((l) => l.submissionId);
        const finished = new Set(said(victim, "ingest finished").map((l) => l.submissionId));
        return started.find((id) => id && !finished.has(id));
      },
      120_000,
      "the first worker to be in the middle of a job",
    );
    const closed = new Promise((resolve) => victim.once("close", resolve)); // all its output read
    await stopWorker(victim, "SIGKILL");
    await closed;
    // What it was in the middle of, from its whole log (what the test had read may have lagged).
    const finishedByVictim = new Set(said(victim, "ingest finished").map((l) => l.submissionId));
    const inFlight = said(victim, "ingest started")
      .map((l) => l.submissionId)
      .filter((id) => !finishedByVictim.has(id));
    expect(inFlight).toHaveLength(1);
    const killedDuring = inFlight[0]!;

    const statuses = await waitFor(
      async () => {
        const rows = await prisma().submission.findMany({
          where: { id: { in: ids } },
          select: { id: true, status: true, attempts: true, notes: true, archiveSha256: true },
        });
        return rows.every((r) => r.status === "done" || r.status === "failed") ? rows : undefined;
      },
      180_000,
      `every submission to finish (${survivors.map((w) => w.output().slice(-800)).join("\n")})`,
    );
    expect(statuses.map((s) => s.status)).toEqual(ids.map(() => "done"));
    // A worker logs 'ingest finished' after its commit (and the killed worker's job may be done
    // before a survivor takes it up and skips it): wait for the lines, not just the rows. Taking
    // up a stalled job waits for its lock (JOB_LOCK_MS, 8 s) and the next stalled check: up to
    // two lock periods after the kill, longer than the rows may take (m6 CI timed out at 10 s).
    await waitFor(
      async () =>
        ids.every((id) => workers.some((w) => said(w, "ingest finished", id).length)) ? true : undefined,
      60_000,
      "every finished job's log line",
    );

    // Exactly once: one processing run per submission, ended by one "done" in the logs.
    for (const s of statuses.filter((x) => x.id !== killedDuring)) {
      const outcomes = workers.flatMap((w) => said(w, "ingest finished", s.id)).map((l) => l.outcome);
      const started = workers.flatMap((w) => said(w, "ingest started", s.id)).length;
      expect({ id: s.id, outcomes, started, attempts: s.attempts }).toEqual({
        id: s.id,
        outcomes: ["done"],
        started: 1,
        attempts: 1,
      });
    }
    // The job the killed worker held comes back once to a survivor. Either the killed run died
    // before its commit (the survivor's run is the second attempt and saves), or it had just
    // committed and died before logging it (the survivor finds the submission done and skips it;
    // one attempt). Once committed in both cases.
    const killed = statuses.find((x) => x.id === killedDuring)!;
    const again = survivors.flatMap((w) => said(w, "ingest finished", killedDuring)).map((l) => l.outcome);
    expect(said(victim, "ingest finished", killedDuring)).toEqual([]);
    expect(survivors.flatMap((w) => said(w, "ingest started", killedDuring))).toHaveLength(1);
    expect([
      ["done", 2],
      ["skipped", 1],
    ]).toContainEqual([...again, killed.attempts]);
    // The queue shared the work: each surviving worker finished several submissions.
    for (const w of survivors) expect(said(w, "ingest finished").length).toBeGreaterThan(1);
    expect(await bed.queue.getCompletedCount()).toBe(ids.length);
    expect(await bed.queue.getFailedCount()).toBe(0);

    // Rows equal to the clean run of the same trace.
    for (const [n, id] of ids.entries())
      expect(comparable(await storedRows(id))).toEqual(comparable(clean[n % TRACES]!));

    // Files: exactly the archives, the four event stores and the side files kept as attachments;
    // no second copy of anything. The killed worker's unfinished write (a temporary, never a
    // blob) is what the blob GC removes; it finds no blob to delete.
    const all = await prisma().submission.findMany({ select: { archiveSha256: true, notes: true } });
    const eventStores = await prisma().trace.findMany({ select: { eventStoreKey: true } });
    const keys = new Set([
      ...all.map((s) => s.archiveSha256),
      ...eventStores.map((t) => t.eventStoreKey),
      ...all
        .flatMap((s) =>
          (s.notes as { attachments?: { key: string | null }[] }[]).flatMap((n) => n.attachments ?? []),
        )
        .map((a) => a.key),
    ]);
    expect(new Set(eventStores.map((t) => t.eventStoreKey)).size).toBe(TRACES);
    const expected = [...keys].map((k) => `sha256/${k!.slice(0, 2)}/${k}`).sort();
    const files = await storedFiles(bed.deps.storage);
    expect(files.filter((f) => f.startsWith("sha256/"))).toEqual(expected);
    expect(files.filter((f) => !f.startsWith("sha256/")).length).toBeLessThanOrEqual(1);
    const gc = await collectBlobGarbage(prisma(), bed.deps.storage, pino({ level: "silent" }), {
      graceMs: 0,
    });
    expect(gc.deleted).toBe(0);
    expect(await storedFiles(bed.deps.storage)).toEqual(expected);
    await Promise.all(survivors.map((w) => stopWorker(w)));
  });
});
