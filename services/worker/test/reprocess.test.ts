import { createQueue, redisConnection } from "@mmiohub/jobs";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ingestSubmission } from "../src/ingest/pipeline";
import { reprocess } from "../src/reprocess";
import { makeDeps, nonce, sample, storedRows, submit, tar, testConfig, xz } from "./helpers";

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
    expect((await deps.prisma.submission.findUniqueOrThrow({ where: { id } })).status).toBe("received");
    expect(await (await queue.getJob(`ingest-${id}`))?.getState()).toBe("waiting");
    // the previous result stays visible until the new one replaces it
    expect((await storedRows(id)).traces).toEqual(before.traces);

    // "the register database improved": here, checkpoints twice as dense change the event store
    const improved = {
      ...deps,
      config: testConfig({ STORAGE_DIR: deps.storage.root, CHECKPOINT_INTERVAL: "32768" }),
    };
    expect(await ingestSubmission(improved, id)).toBe("done");
    const after = await storedRows(id);
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
});
