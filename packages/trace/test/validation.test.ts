import { describe, expect, it } from "vitest";
import { createParser, EventFlag, EventKind } from "../src/index";
import { issue, parse } from "./helpers";

const enc = new TextEncoder();
const run = (lines: string[], options = {}) => parse(enc.encode(lines.join("\n")), [], options);

const HEADER = [
  "VERSION 20070824",
  "PCIDEV 0100 10de0fc6 1a f6000000 e000000c 0 0 0 0 0 1000000 8000000 0 0 0 0 0 nvidia",
];

describe("validation report", () => {
  it("an empty trace", () => {
    const { summary } = parse(new Uint8Array(0));
    expect(summary.events).toBe(0);
    expect(summary.report.ok).toBe(false);
    expect(summary.report.issues.map((i) => i.code)).toEqual(["EMPTY_TRACE"]);
  });

  it("missing VERSION and PCIDEV; accesses are counted, not dropped", () => {
    const { summary, rows } = run([
      "MAP 1.000000 1 0xf6000000 0xffff 0x1000 0x0 0",
      "R 4 1.000001 1 0xf6000000 0x1 0x0 0",
      "",
    ]);
    const codes = summary.report.issues.map((i) => i.code);
    expect(codes).toEqual(
      ["VERSION_MISSING", "NO_PCIDEV", "ACCESS_OUTSIDE_BARS", "MAP_OUTSIDE_BARS"].sort(
        (a, b) => order(a) - order(b),
      ),
    );
    expect(issue(summary, "ACCESS_OUTSIDE_BARS")).toMatchObject({ count: 1, firstLines: [2] });
    expect(rows[1]).toMatchObject({ kind: EventKind.READ, device: -1, bar: -1 });
    expect(summary.accesses).toEqual({ total: 1, resolved: 0, viaMap: 0, unresolved: 1 });
  });

  it("unknown VERSION, unknown map ids, out-of-BAR accesses, backwards time, bad UNMAP", () => {
    const { summary, rows } = run([
      "VERSION 20991231",
      HEADER[1]!,
      "R 4 2.000000 5 0xf6000100 0x1 0x0 0",
      "MAP 2.000001 1 0xf6000000 0xffff 0x1000 0x0 0",
      "R 4 2.000002 1 0xf6000200 0x1 0x0 0",
      "R 4 2.000003 1 0xf7000000 0x1 0x0 0",
      "W 4 1.999999 1 0xf6000204 0x1 0x0 0",
      "UNMAP 2.000004 9 0x0 0",
      "",
    ]);
    expect(issue(summary, "VERSION_UNKNOWN")).toMatchObject({ count: 1, firstLines: [1] });
    // Map id 5 was never mapped: resolved through the BARs all the same.
    expect(issue(summary, "UNKNOWN_MAP_ID")).toMatchObject({ count: 1, firstLines: [3] });
    expect(rows[2]).toMatchObject({ device: 0, bar: 0, offsetLo: 0x100, flags: 0 });
    expect(issue(summary, "ACCESS_OUTSIDE_BARS")).toMatchObject({ count: 1, firstLines: [6] });
    expect(issue(summary, "TIMESTAMP_BACKWARDS")).toMatchObject({ count: 1, firstLines: [7] });
    expect(issue(summary, "UNMAP_UNKNOWN_ID")).toMatchObject({ count: 1, firstLines: [8] });
    expect(summary.report.ok).toBe(true);
  });

  it("unparsable lines are events of kind INVALID, reported with their line number", () => {
    const { summary, rows, errors, written } = run([
      ...HEADER,
      "R 4 1.000000 1 0xf6000000",
      "hello",
      "R 3 1.000000 1 0xf6000000 0x1 0x0 0",
      "",
    ]);
    expect(errors.map((e) => [e.code, e.line])).toEqual([
      ["UNPARSABLE_LINE", 3],
      ["UNPARSABLE_LINE", 4],
      ["UNPARSABLE_LINE", 5],
    ]);
    expect(issue(summary, "UNPARSABLE_LINE")).toMatchObject({ count: 3, firstLines: [3, 4, 5] });
    expect(rows.map((r) => r.kind)).toEqual([EventKind.VERSION, EventKind.PCIDEV, 0, 0, 0]);
    expect(summary.report.ok).toBe(false);
    expect(written).toBe(
      `${[...HEADER, "R 4 1.000000 1 0xf6000000", "hello", "R 3 1.000000 1 0xf6000000 0x1 0x0 0"].join("\n")}\n`,
    );
  });

  it("a line over the limit is one INVALID event, never an unbounded buffer", () => {
    const long = `MARK 1.000000 ${"x".repeat(5000)}`;
    for (const cuts of [[], Array.from({ length: 60 }, (_, i) => i * 97)]) {
      const text = enc.encode([...HEADER, long, "R 4 1.000001 1 0xf6000000 0x1 0x0 0", ""].join("\n"));
      const p = parse(text, cuts, { maxLineLength: 1000 });
      expect(p.errors.map((e) => [e.code, e.line, e.byteOffset])).toEqual([
        ["LINE_TOO_LONG", 3, HEADER.join("\n").length + 1],
      ]);
      expect(p.rows[2]).toMatchObject({ kind: EventKind.INVALID, flags: EventFlag.TOO_LONG, line: 3 });
      expect(p.rows[3]).toMatchObject({ kind: EventKind.READ, line: 4 });
      expect(p.summary.lines).toBe(4);
    }
  });

  it("a last line without line ending is parsed and reported as truncated", () => {
    const { summary, rows, errors, written } = run([...HEADER, "R 4 1.000001 1 0xf6000000 0x1 0x0 0"]);
    expect(rows[2]).toMatchObject({ kind: EventKind.READ, flags: EventFlag.NO_EOL });
    expect(errors.map((e) => [e.code, e.line])).toEqual([["TRUNCATED_LAST_LINE", 3]]);
    expect(issue(summary, "TRUNCATED_LAST_LINE")).toMatchObject({ count: 1 });
    expect(written).toBe([...HEADER, "R 4 1.000001 1 0xf6000000 0x1 0x0 0"].join("\n"));
    const cut = run([...HEADER, "R 4 1.000001 1 0xf60"]);
    expect(cut.errors.map((e) => e.code)).toEqual(["UNPARSABLE_LINE", "TRUNCATED_LAST_LINE"]);
  });

  it("lists in the summary stop at their limit and say so", () => {
    const marks = Array.from({ length: 10 }, (_, i) => `MARK 1.00000${i} m${i}`);
    const p = parse(enc.encode([...HEADER, ...marks, ""].join("\n")), [], {});
    expect(p.summary.markers).toHaveLength(10);
    const parser = createParser({ onBatch: () => {}, maxMarkers: 3 });
    parser.feed(enc.encode([...HEADER, ...marks, ""].join("\n")));
    const s = parser.end();
    expect(s.markers.map((m) => m.text)).toEqual(["m0", "m1", "m2"]);
    expect(issue(s, "LIST_TRUNCATED")).toMatchObject({ count: 7 });
  });

  it("card identity skips a PMC_BOOT_0 read of all ones and takes the next", () => {
    const { summary } = run([
      ...HEADER,
      "MAP 1.000000 1 0xf6000000 0xffff 0x1000000 0x0 0",
      "R 4 1.000001 1 0xf6000000 0xffffffff 0x0 0",
      "R 4 1.000002 1 0xf6000000 0x0e7150a2 0x0 0",
      "R 4 1.000003 1 0xf6000000 0x124000a1 0x0 0",
      "",
    ]);
    expect(summary.cards[0]).toMatchObject({ boot0: 0x0e7150a2, codeName: "GK107", accesses: 3 });
  });
});

const ORDER = [
  "VERSION_MISSING",
  "VERSION_UNKNOWN",
  "NO_PCIDEV",
  "UNKNOWN_MAP_ID",
  "ACCESS_OUTSIDE_BARS",
  "MAP_OUTSIDE_BARS",
];
const order = (c: string) => ORDER.indexOf(c);
