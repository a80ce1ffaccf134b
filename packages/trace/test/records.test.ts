import { describe, expect, it } from "vitest";
import { EventFlag, EventKind, eventAt, toBigInt } from "../src/index";
import { EDGE_CASES } from "./fixtures";
import { issue, parse } from "./helpers";

const enc = new TextEncoder();

describe("records", () => {
  const { rows, summary, errors, written } = parse(enc.encode(EDGE_CASES));

  it("parses every edge-case line and writes it back byte for byte", () => {
    expect(errors).toEqual([]);
    expect(summary.events).toBe(25);
    expect(summary.counts).toMatchObject({
      INVALID: 0,
      LSPCI: 1,
      PCIDEV: 3,
      MAP: 3,
      UNMAP: 2,
      LOST: 1,
      CPU_LOST: 1,
    });
    expect(written).toBe(EDGE_CASES);
  });

  it("keeps 64-bit values, addresses and PCs exact", () => {
    expect(rows[13]).toMatchObject({
      kind: EventKind.WRITE,
      width: 8,
      addrHi: 0xc0,
      addrLo: 0x1000,
      valueHi: 0xffffffff,
      valueLo: 0xffffffff,
      pcHi: 0xffffffff,
      pcLo: 0xc0201234,
    });
    expect(rows[14]).toMatchObject({ valueHi: 0x12345678, valueLo: 0x9abcdef0 });
  });

  it("keeps the largest timestamp exact", () => {
    expect(rows[15]).toMatchObject({ sec: 4294967295, usec: 999999, width: 2, valueLo: 0x10de });
  });

  it("resolves above 4 GiB: a 16 GiB BAR1 at 0xc000000000, offset 0x3ffffff00 through the BAR", () => {
    expect(summary.devices[1]!.bars[1]).toMatchObject({
      start: "0xc000000000",
      size: "0x400000000",
      is64: true,
      prefetchable: true,
    });
    // Outside its 16 MiB mapping, inside the BAR: resolved through the PCIDEV BAR, not the mapping.
    expect(rows[14]).toMatchObject({ device: 1, bar: 1, offsetHi: 3, offsetLo: 0xffffff00, flags: 0 });
    expect(rows[13]).toMatchObject({
      device: 1,
      bar: 1,
      offsetHi: 0,
      offsetLo: 0x1000,
      flags: EventFlag.VIA_MAP,
    });
  });

  it("accepts negative map ids, as the kernel's %d allows", () => {
    expect(rows[6]).toMatchObject({ kind: EventKind.MAP, mapId: -3, device: 1, bar: 0 });
    expect(rows[23]).toMatchObject({ kind: EventKind.UNMAP, mapId: -3 });
    expect(summary.mappings.find((m) => m.mapId === -3)!.unmapEventIndex).toBe(23);
  });

  it("keeps padded and upper-case hex values exact, with the raw line for the writer", () => {
    expect(rows[17]).toMatchObject({
      valueLo: 10,
      offsetLo: 4,
      raw: "R 4 4294967295.999999 -3 0xf6000004 0x0000000a 0x0 0",
    });
    expect(rows[18]).toMatchObject({ valueLo: 10, addrLo: 0xf6000008, offsetLo: 8 });
  });

  it("PCIDEV without a driver and without the trailing space", () => {
    expect(summary.devices.map((d) => d.driver)).toEqual([null, "nvidia", null]);
  });

  it("identifies two NVIDIA cards, Turing and later from PMC_BOOT_42", () => {
    expect(summary.cards.map((c) => [c.slot, c.codeName, c.family, c.source, c.stepping])).toEqual([
      ["01:00.0", "GA102", "GA100", "boot42", 0xa1],
      ["02:00.0", "TU104", "TU100", "boot42", 0xa1],
    ]);
  });

  it("MARK text (empty too) and lost-event notices", () => {
    expect(summary.markers.map((m) => [m.eventIndex, m.text])).toEqual([
      [5, "phase: start (utf-8 ok: é)"],
      [19, ""],
    ]);
    expect(rows[20]).toMatchObject({ kind: EventKind.LOST, valueLo: 3 });
    expect(rows[21]).toMatchObject({ kind: EventKind.CPU_LOST, valueLo: 3, mapId: 1 });
    expect(summary.lost.events).toBe(3);
    expect(issue(summary, "LOST_EVENTS")).toMatchObject({ count: 3, occurrences: 2 });
  });

  it("CRLF line endings are flagged and reproduced", () => {
    const crlf = EDGE_CASES.replaceAll("\n", "\r\n");
    const p = parse(enc.encode(crlf));
    expect(p.errors).toEqual([]);
    expect(p.rows.every((r) => ((r.flags as number) & EventFlag.CRLF) !== 0)).toBe(true);
    expect(p.written).toBe(crlf);
    expect(p.rows.map((r) => r.valueLo)).toEqual(rows.map((r) => r.valueLo));
  });

  it("eventAt gives one event as a plain object with exact hex fields", () => {
    const { batches } = parse(enc.encode(EDGE_CASES));
    expect(eventAt(batches[0]!, 14)).toEqual({
      index: 14,
      kind: "R",
      width: 8,
      flags: 0,
      sec: 1,
      usec: 21,
      mapId: 7,
      addr: "0xc3ffffff00",
      value: "0x123456789abcdef0",
      pc: "0xffffffffc0201238",
      pid: 0,
      device: 1,
      bar: 1,
      offset: "0x3ffffff00",
      line: 15,
      byteOffset: 829,
      text: null,
    });
    expect(eventAt(batches[0]!, 5)).toMatchObject({
      kind: "MARK",
      text: "phase: start (utf-8 ok: é)",
      device: null,
    });
    expect(toBigInt(0x9abcdef0, 0x12345678)).toBe(0x123456789abcdef0n);
  });
});
