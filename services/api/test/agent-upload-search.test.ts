import { execFileSync } from "node:child_process";
import { mkdtemp, readFile, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createScriptedUi } from "../../capture-agent/src/ui";
// The capture agent's own tus client: the contract it was written against is the one served here.
import { tusUpload } from "../../capture-agent/src/upload/tus-upload";
import { type ApiAndWorker, freePort, SHARED, startApiAndWorker, waitProcessed } from "./helpers";
import { sha256 } from "./tus";

// Upload with the agent's resumable client -> the real worker ingests -> search finds the trace by
// what ingest indexed (card, register, marker, free text).
let both: ApiAndWorker;
let api: ApiAndWorker["api"];
let worker: ApiAndWorker["worker"];
let base: string;

beforeAll(async () => {
  const port = await freePort();
  both = await startApiAndWorker({ PORT: String(port) });
  ({ api, worker } = both);
  await api.app.listen({ port, host: "127.0.0.1" });
  base = `http://127.0.0.1:${port}`;
});
afterAll(async () => both?.close());

describe("capture agent upload -> worker -> search", () => {
  it("finds an uploaded GK107 trace by chipset, PCI id, register, marker and description", async () => {
    const word = `agent${Date.now().toString(36)}`;
    // xz stream padding (zero bytes in fours) keeps the archive valid and its sha256 unique to this run.
    const xz = execFileSync("xz", ["-c", "-6"], {
      input: await readFile(join(SHARED, "samples/gk107_hand.mmiotrace")),
    });
    const archive = Buffer.concat([xz, Buffer.alloc(4 * (1 + Math.floor(Math.random() * 5000)))]);
    const dir = await mkdtemp(join(tmpdir(), "mmiohub-agent-"));
    const file = join(dir, "10de-0fc6_NVE0-GK107.mmiotrace.xz");
    await writeFile(file, archive);

    const ui = createScriptedUi();
    const link = await tusUpload(
      file,
      {
        archive: file,
        size: archive.length,
        sha256: sha256(archive),
        metadata: null,
        description: `${word} modeset test`,
      },
      { server: base, token: undefined },
      1000, // small chunks: many PATCHes
      ui,
    );
    expect(link.id).toMatch(/^[a-z2-9]{12}$/);
    expect(link.url).toBe(`${api.config.PUBLIC_URL}/s/${link.id}`);

    const done = await waitProcessed(
      async () => (await api.app.inject({ method: "GET", url: `/api/v1/submissions/${link.id}` })).json(),
      // Generous: the worker process compiles TypeScript at start, slow on a loaded 2-core machine.
      120_000,
      () => `ingest of ${link.id} (worker output: ${worker.output().slice(-2000)})`,
    );
    expect(done.status, JSON.stringify(done)).toBe("done");

    for (const query of [
      `q=${word}`,
      `q=${word}&chipset=GK107`,
      `q=${word}&chipset=0xe7&family=kepler`,
      `q=${word}&pci=10de:0fc6`,
      `q=${word}&register=0x001700&access=w`,
      `q=${word}&register=0x009400-0x009410&access=r&bar=0`,
      `q=${word}&marker=demo+trace`,
      `q=${word}&lost=yes`,
      `q=${word}+hand-written`,
    ]) {
      const res = await api.app.inject({ method: "GET", url: `/api/v1/traces?${query}` });
      expect(res.statusCode, res.body).toBe(200);
      const body = res.json();
      expect(
        body.traces.map((t: { submissionId: string }) => t.submissionId),
        query,
      ).toEqual([link.id]);
      expect(body.facets.chipset, query).toEqual([{ value: "GK107", count: 1 }]);
    }
    for (const query of [
      `q=${word}&register=0x001700&access=r`,
      `q=${word}&chipset=GT215`,
      `q=${word}&lost=no`,
    ]) {
      const res = await api.app.inject({ method: "GET", url: `/api/v1/traces?${query}` });
      expect(res.json().total, query).toBe(0);
    }
  }, 180_000);
});
