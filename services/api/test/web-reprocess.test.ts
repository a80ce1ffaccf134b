import { spawnSync } from "node:child_process";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type ApiAndWorker, multipart, REPO, startApiAndWorker, waitFor } from "./helpers";
import { generatedTrace } from "./web-fixtures";

// Permanent links through the real pipeline: upload, the worker builds the event store, the link
// serves events from it; after a reprocess (new event store) the same link shows the same events.
let api: ApiAndWorker["api"];
let worker: ApiAndWorker["worker"];
let both: ApiAndWorker;

beforeAll(async () => {
  both = await startApiAndWorker();
  ({ api, worker } = both);
});
afterAll(async () => both?.close());

async function finished(id: string, after: Date) {
  return waitFor(
    async () => {
      const s = await api.prisma.submission.findUnique({ where: { id }, include: { traces: true } });
      return s && s.status === "done" && s.finishedAt && s.finishedAt > after ? s : undefined;
    },
    120_000,
    () => `submission ${id} (worker output: ${worker.output().slice(-1500)})`,
  );
}

describe("permanent links", () => {
  it("point at the same events after the trace is reprocessed", { timeout: 240_000 }, async () => {
    const text = generatedTrace(20_000, 4000).replace("phase 1", `phase 1 ${Date.now()}`);
    const form = multipart([{ name: "archive", value: Buffer.from(text), filename: "linked.mmiotrace" }]);
    const res = await api.app.inject({ method: "POST", url: "/api/v1/submissions", ...form });
    expect(res.statusCode, res.body).toBe(202);
    const id = res.json().id as string;
    const first = await finished(id, new Date(0));
    const trace = first.traces[0]!;
    expect(trace.eventStoreKey).toMatch(/^[0-9a-f]{64}$/);

    const link = `/t/${trace.id}/e/15000-15019?register=0x001700`;
    const before = await api.app.inject({ method: "GET", url: link });
    expect(before.statusCode).toBe(200);
    const rows = (html: string) =>
      [
        ...html.matchAll(
          /<tr id="e(\d+)" class="ev[^"]*"><td class="n">.*?<\/td><td class="text">(.*?)<\/td>/g,
        ),
      ].map((m) => `${m[1]} ${m[2]}`);
    expect(rows(before.body).length).toBeGreaterThan(0);
    const events = await api.app.inject({
      method: "GET",
      url: `/api/v1/traces/${trace.id}/events?from=15000&to=15019`,
    });
    const lines = text.split("\n");
    expect(events.json().events.map((e: { line: string }) => e.line)).toEqual(lines.slice(15000, 15020));

    // The worker's reprocess command, as an operator runs it.
    const startedAt = new Date();
    await api.prisma.trace.update({ where: { id: trace.id }, data: { eventStoreKey: null } });
    const cli = spawnSync(
      process.execPath,
      ["--import", "tsx", join(REPO, "services/worker/src/cli/reprocess.ts"), "--id", id],
      {
        cwd: REPO,
        env: {
          ...process.env,
          DATABASE_URL: api.config.DATABASE_URL,
          REDIS_URL: api.config.REDIS_URL,
          QUEUE_PREFIX: api.prefix,
        },
        encoding: "utf8",
      },
    );
    expect(cli.status, cli.stderr).toBe(0);
    const second = await finished(id, startedAt);
    expect(second.traces.map((t) => t.id)).toEqual([trace.id]);
    expect(second.traces[0]!.eventStoreKey).toMatch(/^[0-9a-f]{64}$/);

    const after = await api.app.inject({ method: "GET", url: link });
    expect(rows(after.body)).toEqual(rows(before.body));
    expect(after.body).toMatch(/register database <code class="rnndb">[0-9a-f]{8,}<\/code>/);
  });
});
