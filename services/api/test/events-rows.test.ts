import { EventEmitter } from "node:events";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { TraceAnnotator } from "@mmiohub/annotate";
import { openEnvytoolsDatabase } from "@mmiohub/rnndb";
import { createParser, type PciDevice, type TraceBatch } from "@mmiohub/trace";
import { describe, expect, it } from "vitest";
import { rng } from "../../../packages/trace/test/helpers";
import { type EventRow, JsonRows, leaseScratch, RowObjects } from "../src/services/events-rows";
import { escapeHtml } from "../src/views/html";
import { SequenceRows } from "../src/views/sequence-page";

// The events API and the sequence page write their rows straight into bytes (JsonRows,
// SequenceRows). These tests hold them to the plain way of building the same answer: EventRow
// objects through JSON.stringify, and the page's row markup through escapeHtml, on real traces,
// damaged ones and hostile text.

const shared = process.env.MMIOHUB_SHARED!;
const database = openEnvytoolsDatabase(process.env.MMIOHUB_RNNDB!);
const SAMPLES = ["edu-qemu", "edu-qemu-lost-events", "gk107_hand", "gt215_i2c_seq"];

function parse(bytes: Uint8Array): { batches: TraceBatch[]; devices: readonly PciDevice[] } {
  const batches: TraceBatch[] = [];
  const parser = createParser({ onBatch: (b) => batches.push(b), onError: () => {}, batchSize: 97 });
  parser.feed(bytes);
  parser.end();
  return { batches, devices: parser.devices() };
}

/**
 * Every event of a trace through the three sinks, each with its own annotator writing into its
 * rows, as the events service does it.
 */
function render(bytes: Uint8Array, annotate: boolean, from = 0, to = Number.MAX_SAFE_INTEGER) {
  const { batches, devices } = parse(bytes);
  const objects = new RowObjects();
  const json = new JsonRows({ trace: "t1", from, to: Math.min(to, 1e9), rnndbVersion: database.version });
  const page = new SequenceRows("t1", from, to);
  for (const sink of [objects, json, page]) {
    const annotator = new TraceAnnotator({ nvidia: database }, { out: sink.out });
    for (const b of batches)
      for (let i = 0; i < b.length; i++) {
        sink.open(b, i);
        const at = sink.out.pos;
        annotator.batch(b, devices, i, i + 1);
        if (!annotate) sink.out.pos = at;
        sink.close(b, i, at);
      }
  }
  return { rows: objects.rows, json: json.finish({ next: null }), page: page.bytes().toString("utf8") };
}

/** The sequence page's row as it was built before SequenceRows: strings and escapeHtml. */
function pageRow(e: EventRow, from: number, to: number): string {
  const linked = e.n >= from && e.n <= to;
  const cell = (e.annotated.length > 0 ? e.annotated : [e.line]).map(escapeHtml).join("<br>");
  return `<tr id="e${e.n}" class="ev kind-${escapeHtml(e.kind)}${linked ? " linked" : ""}"><td class="n"><a href="/t/t1/e/${e.n}-${e.n}">${e.n}</a></td><td class="text">${cell}</td></tr>`;
}

function check(bytes: Uint8Array, label: string, from = 0, to = Number.MAX_SAFE_INTEGER) {
  for (const annotate of [true, false]) {
    const r = render(bytes, annotate, from, to);
    expect(r.rows.length, label).toBeGreaterThan(0);
    expect(JSON.parse(r.json.toString("utf8")), label).toEqual({
      trace: "t1",
      from,
      to: Math.min(to, 1e9),
      rnndbVersion: database.version,
      events: r.rows,
      next: null,
    });
    expect(r.page, label).toBe(r.rows.map((e) => pageRow(e, from, to)).join(""));
  }
}

const sample = (name: string) => new Uint8Array(readFileSync(join(shared, "samples", `${name}.mmiotrace`)));

describe("rows written as bytes equal the rows built as objects", () => {
  for (const name of SAMPLES)
    it(`${name}: every event, annotated and not, JSON and page rows`, () => {
      const bytes = sample(name);
      const { rows } = render(bytes, true);
      // The NVIDIA samples are annotated from rnndb: the comparison covers register lines.
      if (name.startsWith("g"))
        expect(rows.some((r) => r.annotated.some((l) => / MMIO32 /.test(l)))).toBe(true);
      check(bytes, name, 3, 40);
    });

  it("hostile text in markers and lines: quotes, backslashes, control and bidi characters, markup, CRLF", () => {
    const gk = new TextDecoder().decode(sample("gk107_hand"));
    const hostile = [
      'MARK 1.000001 say "hi" \\ back\\slash',
      "MARK 1.000002 <script>alert(1)</script> & 'x' `y`",
      "MARK 1.000003 ctl \u0001\u0007\u001b[31m del \u007f tab\tend",
      "MARK 1.000004 bidi \u202e evil \u2066 iso \u2069 emoji 🦀 é",
      "MARK 1.000005 crlf line\r",
      "R 8 1.000006 1 0xf0001700 0x123456789abcdef0 0x0 0",
      "W 4 1.000007 1 0xf0001700 0x00000001 0x0 0",
      "R 8 1.000008 1 0xf0001704 0x100000001 0x0 0",
      "MARK 1.000009 fish & chips",
      "R 4 4294967295.999999 2147483647 0xffffffffffffffff 0xffffffff 0xffffffffffffffff 2147483647",
      "UNKNOWN what is this",
      "garbage line \u0000 with NUL",
      "",
    ];
    const lines = gk.split("\n");
    lines.splice(Math.floor(lines.length / 2), 0, ...hostile);
    check(new TextEncoder().encode(`${lines.join("\n")}no end of line`), "hostile");
  });

  for (const name of SAMPLES)
    it(`${name}: damaged (random bytes), 20 seeds`, () => {
      const original = sample(name);
      for (let seed = 1; seed <= 20; seed++) {
        const rand = rng(seed);
        const bytes = original.slice();
        for (let k = 0; k < 1 + Math.floor(rand() * 12); k++)
          bytes[Math.floor(rand() * bytes.length)] = Math.floor(rand() * 256);
        check(bytes, `${name} seed ${seed}`);
      }
    });
});

describe("the pooled answer buffers", () => {
  it("a buffer released twice goes back once: the next two answers get two buffers", () => {
    const first = leaseScratch();
    first.release();
    first.release();
    const a = leaseScratch();
    const b = leaseScratch();
    expect(a.out).not.toBe(b.out);
    // a stale release of a buffer now lent again gives nothing back either
    first.release();
    expect(leaseScratch().out).not.toBe(a.out);
    for (const lease of [a, b]) lease.release();
  });

  it("rows that are the answer go back only once the writer is done and the response closed", () => {
    const response = new EventEmitter();
    const rows = new JsonRows({ trace: "t" });
    const out = (r: unknown) => (r as { out: unknown }).out;
    const written = rows.releaseAfter(response);
    // the client went away in the middle of the scan: the buffer is still being written
    response.emit("close");
    const meanwhile = leaseScratch();
    expect(meanwhile.out).not.toBe(out(rows));
    meanwhile.release();
    written();
    // now it is back (the pool lends the last buffer given back first)
    const next = leaseScratch();
    expect(next.out).toBe(out(rows));
    next.release();
  });

  it("rows released early and again at the close share no buffer with the next rows", () => {
    const rows = new SequenceRows("t", 0, 0);
    rows.release();
    rows.release();
    const next = [new SequenceRows("t", 0, 0), new SequenceRows("t", 0, 0)];
    const buffers = next.map((r) => (r as unknown as { out: unknown }).out);
    expect(buffers[0]).not.toBe(buffers[1]);
    for (const r of next) r.release();
  });
});
