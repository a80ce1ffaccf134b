import { describe, expect, it } from "vitest";
import { EventKind } from "../src/index";
import { issue, parse, sample } from "./helpers";

describe("shared samples", () => {
  it("edu-qemu: the QEMU edu device, one mapping, three markers", () => {
    const { summary: s, errors } = parse(sample("edu-qemu"));
    expect(errors).toEqual([]);
    expect(s.version).toBe("20070824");
    expect(s.events).toBe(18);
    expect(s.counts).toMatchObject({
      VERSION: 1,
      PCIDEV: 5,
      MARK: 3,
      MAP: 1,
      R: 4,
      W: 3,
      UNMAP: 1,
      INVALID: 0,
    });
    expect(s.devices.map((d) => [d.slot, d.id, d.irq, d.driver])).toEqual([
      ["00:00.0", "8086:1237", 0, null],
      ["00:01.0", "8086:7000", 0, null],
      ["00:01.1", "8086:7010", 0, null],
      ["00:01.3", "8086:7113", 9, null],
      ["00:02.0", "1234:11e8", 10, null],
    ]);
    const edu = s.devices[4]!;
    expect(edu.bars[0]).toEqual({
      index: 0,
      raw: "0xfeb00000",
      start: "0xfeb00000",
      size: "0x100000",
      space: "memory",
      is64: false,
      prefetchable: false,
    });
    // PIIX IDE BAR4: an I/O port range, flag bit 0 set in the printed start.
    expect(s.devices[2]!.bars[4]).toMatchObject({
      raw: "0xc001",
      start: "0xc000",
      size: "0x10",
      space: "io",
    });
    expect(s.mappings).toEqual([
      {
        mapId: 1,
        eventIndex: 7,
        line: 8,
        phys: "0xfeb00000",
        virt: "0xffa0000000700000",
        length: "0x100000",
        device: 4,
        bar: 0,
        barOffset: "0x0",
        mappedAt: { sec: 5, usec: 384537 },
        unmappedAt: { sec: 5, usec: 482523 },
        unmapEventIndex: 16,
      },
    ]);
    expect(s.markers.map((m) => [m.eventIndex, m.text])).toEqual([
      [6, "edu_mmio: before insmod"],
      [14, "edu_mmio: after insmod"],
      [17, "edu_mmio: after rmmod"],
    ]);
    expect(s.accesses).toEqual({ total: 7, resolved: 7, viaMap: 7, unresolved: 0 });
    expect(s.cards).toHaveLength(1);
    expect(s.cards[0]).toMatchObject({
      device: 4,
      id: "1234:11e8",
      nvidia: false,
      chipset: null,
      accesses: 7,
    });
    expect(s.report).toEqual({ ok: true, issues: [] });
    expect(s.firstTimestamp).toEqual({ sec: 4, usec: 923608 });
    expect(s.lastTimestamp).toEqual({ sec: 5, usec: 845133 });
  });

  it("edu-qemu: each access carries its exact fields and resolution", () => {
    const { rows } = parse(sample("edu-qemu"));
    expect(rows[8]).toMatchObject({
      kind: EventKind.READ,
      width: 4,
      sec: 5,
      usec: 391702,
      mapId: 1,
      addrLo: 0xfeb00000,
      addrHi: 0,
      valueLo: 0x10000ed,
      pcLo: 0xc020114c,
      pcHi: 0xffffffff,
      device: 4,
      bar: 0,
      offsetLo: 0,
      line: 9,
    });
    expect(rows[10]).toMatchObject({ kind: EventKind.READ, offsetLo: 4, valueLo: 0xedcba987 });
    expect(rows[13]).toMatchObject({ kind: EventKind.READ, offsetLo: 8, valueLo: 0x78 });
  });

  it("edu-qemu-lost-events: 19780 lost events, reported by the marker and by ftrace", () => {
    const { summary: s, errors } = parse(sample("edu-qemu-lost-events"));
    expect(errors).toEqual([]);
    expect(s.events).toBe(240);
    expect(s.counts).toMatchObject({
      R: 224,
      W: 3,
      MAP: 1,
      UNMAP: 1,
      MARK: 3,
      LOST: 1,
      CPU_LOST: 1,
      PCIDEV: 5,
    });
    expect(s.lost.events).toBe(19780);
    expect(s.lost.reports).toEqual([
      { eventIndex: 98, line: 99, count: 19780, source: "cpu" },
      { eventIndex: 110, line: 111, count: 19780, source: "mark" },
    ]);
    expect(issue(s, "LOST_EVENTS")).toMatchObject({ count: 19780, occurrences: 2, firstLines: [99, 111] });
    expect(s.markers.map((m) => m.text)).toEqual([
      "edu_mmio: before insmod",
      "edu_mmio: after insmod",
      "edu_mmio: after rmmod",
    ]);
    expect(s.accesses.unresolved).toBe(0);
    expect(s.report.ok).toBe(true);
  });

  it("gk107_hand: a GK107 from PMC_BOOT_0, BAR1 and BAR3 accesses resolved through the BARs", () => {
    const { summary: s, rows, errors } = parse(sample("gk107_hand"));
    expect(errors).toEqual([]);
    expect(s.counts).toMatchObject({
      R: 14,
      W: 13,
      MAP: 1,
      UNMAP: 1,
      MARK: 1,
      LOST: 1,
      UNKNOWN: 1,
      PCIDEV: 2,
    });
    const gpu = s.devices[1]!;
    expect(gpu).toMatchObject({ slot: "01:00.0", id: "10de:0fc6", irq: 0x1a, driver: "nvidia" });
    expect(gpu.bars.map((b) => [b.start, b.size, b.space, b.is64, b.prefetchable])).toEqual([
      ["0xf6000000", "0x1000000", "memory", false, false],
      ["0xe0000000", "0x8000000", "memory", true, true],
      ["0x0", "0x0", "memory", false, false],
      ["0xe8000000", "0x2000000", "memory", true, true],
      ["0x0", "0x0", "memory", false, false],
      ["0xe000", "0x80", "io", false, false],
      ["0xf7000000", "0x80000", "memory", false, false],
    ]);
    expect(s.cards).toEqual([
      expect.objectContaining({
        device: 1,
        nvidia: true,
        boot0: 0x0e7150a2,
        chipset: 0xe7,
        chipsetHex: "0xe7",
        codeName: "GK107",
        family: "NVE0",
        architecture: "Kepler",
        stepping: 0xa2,
        source: "boot0",
      }),
    ]);
    expect(s.lost.events).toBe(5);
    expect(s.markers.map((m) => m.text)).toEqual(["hand-written demo trace start"]);
    const fb = rows.find((r) => r.addrLo === 0xe0001000)!;
    expect(fb).toMatchObject({ device: 1, bar: 1, offsetLo: 0x1000, flags: 0 });
    const ramin = rows.find((r) => r.addrLo === 0xe8000010)!;
    expect(ramin).toMatchObject({ device: 1, bar: 3, offsetLo: 0x10 });
    const crtc = rows.find((r) => r.addrLo === 0xf66013d4)!;
    expect(crtc).toMatchObject({ width: 1, bar: 0, offsetLo: 0x6013d4, valueLo: 0x1f });
    const unknown = rows.find((r) => r.kind === EventKind.UNKNOWN)!;
    expect(unknown).toMatchObject({ text: "8b,04,25", device: 1, bar: 0, offsetLo: 0 });
    expect(s.accesses).toEqual({ total: 28, resolved: 28, viaMap: 26, unresolved: 0 });
    expect(issue(s, "UNKNOWN_OPCODE")).toMatchObject({ count: 1, firstLines: [34] });
  });

  it("gt215_i2c_seq: a GT215 (NV50 family), still mapped at the end", () => {
    const { summary: s, errors } = parse(sample("gt215_i2c_seq"));
    expect(errors).toEqual([]);
    expect(s.counts).toMatchObject({ R: 6, W: 65, MAP: 1, UNMAP: 0, PCIDEV: 1, MARK: 0 });
    expect(s.devices[0]).toMatchObject({ slot: "02:00.0", id: "10de:0ca3", driver: "nouveau" });
    expect(s.cards[0]).toMatchObject({
      chipset: 0xa3,
      codeName: "GT215",
      family: "NV50",
      architecture: "Tesla",
      stepping: 0xa2,
    });
    expect(s.mappings[0]).toMatchObject({ unmappedAt: null, device: 0, bar: 0 });
    expect(s.report).toEqual({ ok: true, issues: [] });
  });
});
