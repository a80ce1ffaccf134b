import { formatEvents } from "@mmiohub/trace";
import { beforeAll, describe, expect, it } from "vitest";
import { ingestSubmission } from "../src/ingest/pipeline";
import { bzip2, gzip, makeDeps, nonce, openStore, sample, storedRows, submit, tar, xz } from "./helpers";

// Each sample through the whole pipeline (unpack, parse, identify, event store, statistics, save)
// in each archive form people send; the stored rows and the event store are checked.
type Deps = Awaited<ReturnType<typeof makeDeps>>;
let deps: Deps;
beforeAll(async () => {
  deps = await makeDeps();
});

const SAMPLES = [
  "gk107_hand.mmiotrace",
  "gt215_i2c_seq.mmiotrace",
  "edu-qemu.mmiotrace",
  "edu-qemu-lost-events.mmiotrace",
];
const FORMS: [string, (t: Buffer, name: string) => Promise<[Buffer, string]>][] = [
  ["plain", async (t, n) => [t, n]],
  ["xz", async (t, n) => [xz(t, "-9e"), `${n}.xz`]],
  ["gzip", async (t, n) => [gzip(t), `${n}.gz`]],
  ["bzip2", async (t, n) => [bzip2(t), `${n}.bz2`]],
  [
    "tar.xz",
    async (t, n) => [
      xz(
        await tar([
          { name: `dump/${n}`, body: t },
          { name: "nonce.txt", body: Buffer.from(nonce()) },
        ]),
        "-T0",
      ),
      "dump.tar.xz",
    ],
  ],
  [
    "tar.gz",
    async (t, n) => [
      gzip(
        await tar([
          { name: n, body: t },
          { name: "x", body: Buffer.from(nonce()) },
        ]),
      ),
      "d.tgz",
    ],
  ],
];

async function ingest(bytes: Buffer, name: string, fields = {}) {
  const id = await submit(deps, bytes, name, fields);
  expect(await ingestSubmission(deps, id)).toBe("done");
  return { id, rows: await storedRows(id) };
}

describe.each(SAMPLES)("%s", (name) => {
  let text: Buffer;
  beforeAll(async () => {
    text = await sample(name);
  });

  it.each(FORMS)("as %s: stored, and its event store gives the trace back", async (_form, make) => {
    const [bytes, archiveName] = await make(text, name);
    const { rows } = await ingest(bytes, archiveName);
    expect(rows.submission[0]).toMatchObject({ status: "done", reason_code: null });
    expect(rows.traces).toHaveLength(1);
    const t = rows.traces[0]!;
    const lines = text.toString().split("\n").length - 1;
    expect(t.member.endsWith(name)).toBe(true);
    expect(Number(t.event_count)).toBe(lines);
    expect(Number(t.line_count)).toBe(lines);
    expect(Number(t.text_bytes)).toBe(text.length);
    expect(t.parser_version).toMatch(/^\d+\.\d+\.\d+\+[0-9a-f]{12}$/);
    const store = await openStore(deps.storage, t.event_store_key);
    const all = await store.readEvents(0, store.eventCount);
    expect(formatEvents(all, 0, all.length)).toBe(text.toString());
    expect(store.meta.checkpointFormat).toBe("annotate/AnnotatorState@1");
    expect(store.meta.app).toMatchObject({ member: t.member, parserVersion: t.parser_version });
  });
});

describe("what is stored for the hand-written GK107 trace", () => {
  it("identity, markers, lost events, register statistics, search text", async () => {
    const text = await sample("gk107_hand.mmiotrace");
    const { rows } = await ingest(xz(text, "-0"), "gk107.xz", { description: `GK107 hand ${nonce()}` });
    const t = rows.traces[0]!;
    expect(t.record_counts).toMatchObject({
      R: 14,
      W: 13,
      MAP: 1,
      UNMAP: 1,
      MARK: 1,
      LOST: 1,
      PCIDEV: 2,
      VERSION: 1,
      UNKNOWN: 1,
    });
    expect(Number(t.access_count)).toBe(28); // R + W + UNKNOWN
    expect(Number(t.lost_events)).toBe(5);
    expect(Number(t.first_us)).toBe(100_000_000);
    expect(Number(t.last_us)).toBe(100_700_000);
    expect(rows.cards).toEqual([
      expect.objectContaining({
        card_index: 0,
        device_position: 1,
        vendor_id: 0x10de,
        device_id: 0x0fc6,
        pci_name: "GK107 [GeForce GTX 650]",
        chipset: 0xe7,
        code_name: "GK107",
        family: "NVE0",
        architecture: "Kepler",
        stepping: 0xa2,
        source: "boot0",
      }),
    ]);
    expect(
      rows.markers.map((m) => [
        m.seq,
        Number(m.event_index),
        Number(m.time_us),
        m.kind,
        m.text,
        Number(m.lost),
      ]),
    ).toEqual([
      [0, 3, 100_000_000, "mark", "hand-written demo trace start", 0],
      [1, 30, 100_600_000, "lost", "Lost 5 events.", 5],
    ]);
    const reg = (bar: number, offset: number) =>
      rows.registers.find((r) => r.card_index === 0 && r.bar === bar && Number(r.offset) === offset);
    // PMC_BOOT_0 read once at event 5 (line 6); PMC_ENABLE read then written (events 7 and 8)
    expect(reg(0, 0)).toMatchObject({ reads: "1", writes: "0", first_event: "5", last_event: "5" });
    expect(reg(0, 0x200)).toMatchObject({ reads: "1", writes: "1", first_event: "7", last_event: "8" });
    expect(reg(0, 0)).toMatchObject({ span: 1 });
    // BAR1 (framebuffer) and BAR3 (instance memory) are prefetchable: counted per 4 KiB page
    expect(reg(1, 0x1000)).toMatchObject({ span: 4096, reads: "0", writes: "1" });
    expect(reg(3, 0x10)).toBeUndefined();
    expect(reg(3, 0)).toMatchObject({ span: 4096, reads: "0", writes: "1" });
    expect(t.search_text).toContain("GK107 hand");
    expect(t.search_text).toContain("hand-written demo trace start");
    expect(t.validation).toMatchObject({
      issues: expect.arrayContaining([expect.objectContaining({ code: "LOST_EVENTS" })]),
    });
    expect(t.rnndb_version).toMatch(/^[0-9a-f]+$/);
  });
});

describe("an agent's .tar.xz with metadata that disagrees with the trace", () => {
  it("keeps the trace's identity and stores each disagreement as a warning", async () => {
    const text = await sample("gk107_hand.mmiotrace");
    const metadata = {
      schema: "mmiohub-agent/metadata@1",
      kernel: "Linux 6.1.0-99-amd64",
      driver: { name: "nouveau", version: null },
      gpus: [{ slot: "0000:01:00.0", pciId: "10de:2484", subsystem: null, driver: "nouveau" }],
    };
    const archive = xz(
      await tar([
        { name: "trace.mmiotrace", body: text },
        { name: "metadata.json", body: Buffer.from(JSON.stringify(metadata)) },
        { name: "description.txt", body: Buffer.from(`PRAMIN and CRTC walk ${nonce()}\n`) },
        { name: "dmesg.txt", body: Buffer.from("[    0.000000] Linux version 6.1.0\n") },
      ]),
    );
    const { id, rows } = await ingest(archive, "agent.tar.xz", {
      metadata: { kernel: "Linux 6.1.0-98-amd64" },
    });
    const codes = rows.traces[0]!.warnings.map((w: { code: string }) => w.code).sort();
    expect(codes).toEqual([
      "METADATA_CONFLICT",
      "METADATA_DRIVER_MISMATCH",
      "METADATA_GPU_MISMATCH",
      "METADATA_GPU_MISSING",
    ]);
    expect(rows.cards[0]).toMatchObject({ device_id: 0x0fc6, code_name: "GK107" });
    // the upload form's kernel wins over metadata.json's; the driver comes from metadata.json
    expect(rows.submission[0]).toMatchObject({ kernel: "Linux 6.1.0-98-amd64", driver_name: "nouveau" });
    expect(rows.submission[0]!.description).toMatch(/^PRAMIN and CRTC walk/);
    const s = await deps.prisma.submission.findUniqueOrThrow({ where: { id } });
    const notes = s.notes as { step: string; ok: boolean; attachments?: { name: string; key: string }[] }[];
    expect(notes.map((n) => n.step)).toEqual(["index", "unpack", "identify"]);
    const dmesg = notes[1]!.attachments!.find((a) => a.name === "dmesg.txt")!;
    expect(await deps.storage.size(dmesg.key)).toBe(35);
  });
});
