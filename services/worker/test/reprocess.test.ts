import { createQueue, redisConnection } from "@mmiohub/jobs";
import { LocalBlobStore } from "@mmiohub/storage";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ingestSubmission, markFailed } from "../src/ingest/pipeline";
import { reprocess } from "../src/reprocess";
import { makeDeps, nonce, sample, storedRows, submit, tar, testConfig, waitFor, xz } from "./helpers";

type Deps = Awaited<ReturnType<typeof makeDeps>>;
let deps: Deps;
const prefix = `r${process.pid}${nonce()}`;
let queue: ReturnType<typeof createQueue>;

beforeAll(async () => {
  deps = await makeDeps();
  queue = createQueue("ingest", redisConnection(deps.config.REDIS_URL, "producer"), prefix);
});
afterAll(async () => {
  await queue.obliterate({ force: true }).catch(() => {});
  await queue.close();
});

describe("reprocess", () => {
  it("runs a finished submission again: same trace id, new result, old event store removed", async () => {
    const archive = xz(
      await tar([
        { name: "t.mmiotrace", body: await sample("gt215_i2c_seq.mmiotrace") },
        { name: "n", body: Buffer.from(nonce()) },
      ]),
    );
    const id = await submit(deps, archive, "r.tar.xz");
    expect(await ingestSubmission(deps, id)).toBe("done");
    const before = await storedRows(id);
    const archiveKey = (await deps.prisma.submission.findUniqueOrThrow({ where: { id } })).archiveSha256;
    const archiveBytes = await deps.storage.size(archiveKey);

    await expect(reprocess(deps.prisma, queue, {})).rejects.toThrow(/no criterion/);
    const { ids } = await reprocess(deps.prisma, queue, { ids: [id], status: ["done"] });
    expect(ids).toEqual([id]);
    expect((await deps.prisma.submission.findUniqueOrThrow({ where: { id } })).status).toBe("reprocessing");
    expect(await (await queue.getJob(`ingest-${id}`))?.getState()).toBe("waiting");
    // the previous result stays visible until the new one replaces it
    expect((await storedRows(id)).traces).toEqual(before.traces);

    // "the register database improved": here, checkpoints twice as dense change the event store
    const improved = {
      ...deps,
      config: testConfig({ STORAGE_DIR: deps.storage.root, CHECKPOINT_INTERVAL: "32768" }),
    };
    // while the new run is under way the status still says reprocessing (not processing): the run
    // is held at its archive read, after it counted its attempt
    let release = () => {};
    const gate = new Promise<void>((r) => {
      release = r;
    });
    class HeldStore extends LocalBlobStore {
      override async get(key: string, range?: { start: number; end?: number }) {
        await gate;
        return super.get(key, range);
      }
    }
    const run = ingestSubmission({ ...improved, storage: new HeldStore(deps.storage.root) }, id);
    const during = await waitFor(
      async () => {
        const s = await deps.prisma.submission.findUniqueOrThrow({ where: { id } });
        return s.attempts > 0 ? s.status : undefined;
      },
      10_000,
      "the run to start",
    );
    release();
    expect(await run).toBe("done");
    expect(during).toBe("reprocessing");
    const after = await storedRows(id);
    expect(after.submission[0].status).toBe("done");
    expect(after.traces[0]!.id).toBe(before.traces[0]!.id);
    expect(after.traces[0]!.event_store_key).not.toBe(before.traces[0]!.event_store_key);
    expect({ ...after.traces[0], event_store_key: "" }).toEqual({ ...before.traces[0], event_store_key: "" });
    expect(after.registers).toEqual(before.registers);
    expect(await deps.storage.size(before.traces[0]!.event_store_key)).toBeNull();
    expect(await deps.storage.size(after.traces[0]!.event_store_key)).toBeGreaterThan(0);
    // the raw archive is untouched
    const row = await deps.prisma.submission.findUniqueOrThrow({ where: { id } });
    expect(await deps.storage.size(row.archiveSha256)).toBe(archiveBytes);
  });

  it("selects by card and by parser version", async () => {
    const id = await submit(deps, xz(await sample("gk107_hand.mmiotrace"), "-1e"), "k.xz");
    expect(await ingestSubmission(deps, id)).toBe("done");
    const dry = { dryRun: true };
    expect((await reprocess(deps.prisma, queue, { ids: [id], codeName: "GK107" }, dry)).ids).toEqual([id]);
    expect((await reprocess(deps.prisma, queue, { ids: [id], codeName: "GT215" }, dry)).ids).toEqual([]);
    expect((await reprocess(deps.prisma, queue, { ids: [id], pciId: "10de:0fc6" }, dry)).ids).toEqual([id]);
    expect(
      (await reprocess(deps.prisma, queue, { ids: [id], parserOtherThan: "0.0.0+old" }, dry)).ids,
    ).toEqual([id]);
    const current = (await storedRows(id)).traces[0]!.parser_version;
    expect((await reprocess(deps.prisma, queue, { ids: [id], parserOtherThan: current }, dry)).ids).toEqual(
      [],
    );
    expect((await deps.prisma.submission.findUniqueOrThrow({ where: { id } })).status).toBe("done");
  });

  it("a reprocessing that fails for good keeps the previous result, with the reason", async () => {
    const id = await submit(deps, xz(await sample("gt215_i2c_seq.mmiotrace"), "-2e"), "f.xz");
    expect(await ingestSubmission(deps, id)).toBe("done");
    const before = await storedRows(id);
    await reprocess(deps.prisma, queue, { ids: [id] });
    await markFailed(deps.prisma, id, "TRACE_LINE_TOO_LONG", "line 3 is longer than 10 bytes");
    const after = await storedRows(id);
    expect(after.submission[0]).toMatchObject({ status: "done", reason_code: "TRACE_LINE_TOO_LONG" });
    expect(after.submission[0].reason).toMatch(/^reprocessing failed; the previous result is kept: line 3/);
    expect(after.traces).toEqual(before.traces);
  });

  it("a failed submission is reprocessed from received (it has nothing to show)", async () => {
    const id = await submit(deps, Buffer.from(`not a trace ${nonce()}`), "bad.txt");
    await expect(ingestSubmission(deps, id)).rejects.toThrow(/not an mmiotrace log/);
    await markFailed(deps.prisma, id, "TRACE_NOT_FOUND", "not a trace");
    await reprocess(deps.prisma, queue, { ids: [id] });
    expect((await deps.prisma.submission.findUniqueOrThrow({ where: { id } })).status).toBe("received");
  });
});
