import { describe, expect, it } from "vitest";
import { formatEvent, formatEvents, formatHeader } from "../src/index";
import { parse, SAMPLES, sample } from "./helpers";

const dec = new TextDecoder();

describe("writer", () => {
  for (const name of SAMPLES) {
    it(`${name}: parse then write reproduces the input byte for byte`, () => {
      const bytes = sample(name);
      const { written, errors } = parse(bytes);
      expect(errors).toEqual([]);
      expect(written).toBe(dec.decode(bytes));
    });
  }

  it("a range of events with the header prepended is a valid log of its own", () => {
    const bytes = sample("gk107_hand");
    const full = parse(bytes, [], { batchSize: 10 });
    // Events 10..24 straddle batches of 10: the API serves ranges across batch boundaries.
    let range = "";
    for (const b of full.batches) {
      const from = Math.max(10, b.start) - b.start;
      const to = Math.min(25, b.start + b.length) - b.start;
      if (from < to) range += formatEvents(b, from, to);
    }
    const lines = dec.decode(bytes).split("\n");
    expect(range).toBe(`${lines.slice(10, 25).join("\n")}\n`);
    const served = formatHeader(full.summary) + range;
    expect(served.startsWith("VERSION 20070824\nPCIDEV 0000 80860c00")).toBe(true);
    const again = parse(new TextEncoder().encode(served));
    expect(again.errors).toEqual([]);
    expect(again.summary.devices).toEqual(full.summary.devices.map((d, i) => ({ ...d, line: i + 2 })));
    // Without its MAP the range resolves through the BARs, to the same registers.
    const offsets = (rows: typeof full.rows) =>
      rows.filter((r) => r.kind === 1 || r.kind === 2).map((r) => [r.bar, r.offsetLo]);
    expect(offsets(again.rows)).toEqual(offsets(full.rows.slice(10, 25)));
  });

  it("formatEvent of one row matches the line it came from", () => {
    const bytes = sample("edu-qemu");
    const { batches } = parse(bytes);
    expect(formatEvent(batches[0]!, 8)).toBe("R 4 5.391702 1 0xfeb00000 0x10000ed 0xffffffffc020114c 0\n");
  });
});
