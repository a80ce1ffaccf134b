import { execFileSync } from "node:child_process";
import { createHash } from "node:crypto";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type ApiAndWorker, multipart, SHARED, startApiAndWorker, waitProcessed } from "./helpers";

// The first vertical slice end to end: upload through the API, the real worker process ingests it,
// the status endpoint shows the counts.
let both: ApiAndWorker;
let api: ApiAndWorker["api"];
let worker: ApiAndWorker["worker"];

beforeAll(async () => {
  both = await startApiAndWorker();
  ({ api, worker } = both);
});
afterAll(async () => both?.close());

const xz = (buf: Buffer) => execFileSync("xz", ["-c", "-6"], { input: buf });

async function statusOf(id: string) {
  const res = await api.app.inject({ method: "GET", url: `/api/v1/submissions/${id}` });
  expect(res.statusCode).toBe(200);
  return res.json();
}

describe("upload -> worker -> status", () => {
  it("ingests edu-qemu.mmiotrace uploaded as .xz", async () => {
    const trace = readFileSync(join(SHARED, "samples/edu-qemu.mmiotrace"));
    const form = multipart([
      { name: "archive", value: xz(trace), filename: "edu-qemu.mmiotrace.xz" },
      { name: "description", value: "edu device, insmod + rmmod" },
      { name: "metadata", value: JSON.stringify({ kernel: "Linux 6.1.0-56-amd64", hostname: "testbox" }) },
    ]);
    const res = await api.app.inject({ method: "POST", url: "/api/v1/submissions", ...form });
    expect(res.statusCode, res.body).toBe(202);
    const body = res.json();
    expect(body).toEqual({
      id: expect.stringMatching(/^[a-z2-9]{12}$/),
      status: "received",
      url: `${api.config.PUBLIC_URL}/s/${body.id}`,
      manageToken: expect.stringMatching(/^mmhm_[\w-]{32}$/),
      manageUrl: `${api.config.PUBLIC_URL}/s/${body.id}/manage?token=${body.manageToken}`,
    });

    const done = await waitProcessed(
      () => statusOf(body.id),
      // Generous: the worker process compiles TypeScript at start, slow on a loaded 2-core machine.
      120_000,
      () => `submission ${body.id} to finish (worker output: ${worker.output().slice(-2000)})`,
    );
    expect(done.status, JSON.stringify(done)).toBe("done");
    expect(done.traces).toHaveLength(1);
    const t = done.traces[0];
    expect(t.member).toBe("edu-qemu.mmiotrace");
    expect(t.recordCounts).toMatchObject({ R: 4, W: 3, MAP: 1, UNMAP: 1, MARK: 3, PCIDEV: 5, VERSION: 1 });
    expect(t.devices).toHaveLength(5);
    expect(t.devices.map((d: { pciId: string }) => d.pciId)).toContain("1234:11e8");
    expect(done.description).toBe("edu device, insmod + rmmod");
    // The hostname is a protected field: stored, never in the public view.
    expect(JSON.stringify(done)).not.toContain("testbox");
    const row = await api.prisma.submission.findUniqueOrThrow({ where: { id: body.id } });
    expect(row.hostname).toBe("testbox");
  }, 180_000);

  it("answers a second upload of the same bytes with the existing submission", async () => {
    const payload = xz(Buffer.from(readFileSync(join(SHARED, "samples/gk107_hand.mmiotrace"))));
    const first = await api.app.inject({
      method: "POST",
      url: "/api/v1/submissions",
      ...multipart([{ name: "archive", value: payload, filename: "a.xz" }]),
    });
    const second = await api.app.inject({
      method: "POST",
      url: "/api/v1/submissions",
      ...multipart([{ name: "archive", value: payload, filename: "b.xz" }]),
    });
    expect(first.statusCode).toBe(202);
    expect(second.statusCode).toBe(200);
    expect(second.json().id).toBe(first.json().id);
    const sha256 = createHash("sha256").update(payload).digest("hex");
    expect(await api.prisma.submission.count({ where: { archiveSha256: sha256 } })).toBe(1);
  });
});
