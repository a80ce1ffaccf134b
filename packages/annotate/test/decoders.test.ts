import { describe, expect, it } from "vitest";
import { annotate, lines } from "./helpers";

const HEADER = [
  "VERSION 20070824",
  "PCIDEV 0000 80860c00 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 ",
  "PCIDEV 0100 10de0fc6 1a f6000000 e000000c 0 e800000c 0 e001 f7000000 1000000 8000000 0 2000000 0 80 80000 nvidia",
];

function run(body: string[], header = HEADER): string[] {
  return lines(annotate(`${[...header, ...body].join("\n")}\n`)).slice(header.length);
}

describe("indirect decoders", () => {
  it("decodes a 16-bit VGA CRTC index+data write as both lines", () => {
    expect(
      run(["R 4 1.000000 1 0xf6000000 0x0e7150a2 0x0 0", "W 2 1.000010 1 0xf66013d4 0x2011 0x0 0"]).slice(1),
    ).toEqual([
      "[0] 1.000010 MMIO16 W 0x6013d4 0x00002011 PRMIO.CRX <= 0x2011",
      "[0] 1.000010 HEAD0 W     0x11       0x20 CR.CR11 <= { VRE_0_3 = 0 | INTR_DISABLE | REFRESH = 3 }",
    ]);
  });

  it("follows the PRAMIN window base and both CRTC heads", () => {
    expect(
      run([
        "R 4 1.000000 1 0xf6000000 0x0e7150a2 0x0 0",
        "W 4 1.000001 1 0xf6001700 0x12 0x0 0",
        "R 4 1.000002 1 0xf67ffffc 0x5 0x0 0",
        "W 1 1.000003 1 0xf66033d4 0x11 0x0 0",
        "W 1 1.000004 1 0xf66013d4 0x1f 0x0 0",
        "R 1 1.000005 1 0xf66033d5 0x20 0x0 0",
      ]).slice(2),
    ).toEqual([
      "[0] 1.000002, MEM32 21fffc => 5",
      "[0] 1.000003 MMIO8 W 0x6033d4 0x00000011 0x6033d4 <= 0x11",
      "[0] 1.000004 MMIO8 W 0x6013d4 0x0000001f PRMIO.CRX <= 0x1f",
      "[0] 1.000005 HEAD1 R     0x11       0x20 CR.CR11 => { VRE_0_3 = 0 | INTR_DISABLE | REFRESH = 3 }",
    ]);
  });

  it("splits a 32-bit access to 8-bit registers into four lines, as demmio does, and sees the data byte", () => {
    const out = run([
      "R 4 1.000000 1 0xf6000000 0x0e7150a2 0x0 0",
      "W 4 1.000010 1 0xf66013d4 0x44332211 0x0 0",
    ]);
    expect(out.slice(1)).toEqual([
      "[0] 1.000010 MMIO32 W 0x6013d4 0x44332211 PRMIO.CRX <= 0x11",
      "                                          PRMIO.CR <= 0x22",
      "                                          PRMIO+0x3d6 <= 0x33",
      "                                          PRMIO+0x3d7 <= 0x44",
      // the word covers the CRTC data port too: its byte is decoded as the register it writes
      "[0] 1.000010 HEAD0 W     0x11       0x22 CR.CR11 <= { VRE_0_3 = 0x2 | INTR_DISABLE | REFRESH = 3 }",
    ]);
  });

  it("prints an I2C transaction left open at the end of the trace", () => {
    const out = run([
      "R 4 1.000000 1 0xf6000000 0x0e7150a2 0x0 0",
      "W 4 1.000001 1 0xf600e150 0x7 0x0 0",
      "W 4 1.000002 1 0xf600e150 0x5 0x0 0",
    ]);
    expect(out.at(-1)).toBe("[0] I2C      0x00e150            PNVIO+0x150 START ...");
  });

  it("passes through accesses of devices without a database", () => {
    const out = run(["R 4 1.000000 1 0xfe000000 0x1 0x0 0"]);
    expect(out).toEqual(["R 4 1.000000 1 0xfe000000 0x1 0x0 0"]);
  });
});

describe("chips the database lacks", () => {
  const GA102 = [
    "VERSION 20070824",
    "PCIDEV 0100 10de2204 9a f6000000 e000000c 0 e800000c 0 e001 f7000000 1000000 10000000 0 2000000 0 80 80000 nvidia",
  ];

  it("identifies the chip, decodes what does not depend on it and marks the rest", () => {
    const out = run(
      [
        "R 4 1.000000 1 0xf6009400 0x1234 0x0 0",
        "R 4 1.000001 1 0xf6000000 0x172000a1 0x0 0",
        "R 4 1.000002 1 0xf6000200 0x1100 0x0 0",
        "W 4 1.000003 1 0xf6001700 0x30 0x0 0",
        "W 4 1.000004 1 0xf6700000 0xdeadbeef 0x0 0",
      ],
      GA102,
    );
    expect(out).toEqual([
      "[0] 1.000000 MMIO32 R 0x009400 0x00001234 PTIMER.TIME_LOW => 0x1234 [chip not identified yet]",
      "[0] 1.000001 MMIO32 R 0x000000 0x172000a1 PMC.ID => { STEPPING = 0xa1 | DEVICE_ID = 0 | CHIPSET = 0x172 | FOUNDRY = TSMC } [unknown on GA102]",
      "[0] 1.000002 MMIO32 R 0x000200 0x00001100 PMC.ENABLE => { PFIFO | PGRAPH } [unknown on GA102]",
      "[0] 1.000003 MMIO32 W 0x001700 0x00000030 PBUS.HOST_MEM.PMEM <= { OFFSET = 0x300000 | TARGET = VRAM } [unknown on GA102]",
      "[0] 1.000004, MEM32 300000 <= deadbeef",
    ]);
  });
});

describe("several cards", () => {
  it("numbers cards in PCIDEV order and measures SLEEP per card", () => {
    const header = [
      "VERSION 20070824",
      "PCIDEV 0100 10de0fc6 1a f6000000 e000000c 0 e800000c 0 e001 f7000000 1000000 8000000 0 2000000 0 80 80000 nvidia",
      "PCIDEV 0200 10de0ca3 10 fa000000 d000000c 0 f800000c 0 dc01 fb000000 1000000 10000000 0 2000000 0 80 80000 nouveau",
    ];
    const out = run(
      [
        "R 4 1.000000 1 0xf6000000 0x0e7150a2 0x0 0",
        "R 4 1.000050 2 0xfa000000 0x0a3000a2 0x0 0",
        "R 4 1.000090 1 0xf6009400 0x1 0x0 0",
        "R 4 1.000500 2 0xfa009400 0x2 0x0 0",
      ],
      header,
    );
    expect(out.slice(2)).toEqual([
      "[0] 1.000090 MMIO32 R 0x009400 0x00000001 PTIMER.TIME_LOW => 0x1",
      "[1] SLEEP 0.450000ms",
      "[1] 1.000500 MMIO32 R 0x009400 0x00000002 PTIMER.TIME_LOW => 0x2",
    ]);
  });
});

describe("I2C lines", () => {
  it("stay bounded when a bus toggles for long without a STOP", () => {
    const body = [
      "R 4 1.000000 1 0xf6000000 0x0a3000a2 0x0 0",
      "W 4 1.000001 1 0xf600e138 0x7 0x0 0",
      "W 4 1.000002 1 0xf600e138 0x5 0x0 0",
    ];
    // clock the byte 0x00 out forever: SDA low, SCL toggling
    for (let i = 0; i < 4000; i++)
      body.push(`W 4 1.${(10 + i).toString().padStart(6, "0")} 1 0xf600e138 ${i % 2 ? "0x5" : "0x4"} 0x0 0`);
    const header = [
      "VERSION 20070824",
      "PCIDEV 0200 10de0ca3 10 fa000000 d000000c 0 f800000c 0 dc01 fb000000 1000000 10000000 0 2000000 0 80 80000 nouveau",
    ];
    const out = lines(
      annotate(`${[...header, ...body.map((l) => l.replace(/0xf6/g, "0xfa"))].join("\n")}\n`),
    );
    const i2c = out.filter((l) => l.includes(" I2C "));
    expect(i2c.length).toBeGreaterThan(1);
    expect(Math.max(...i2c.map((l) => l.length))).toBeLessThan(1200);
    expect(i2c[0]).toMatch(/^\[0\] I2C {6}0x00e138 {12}PNVIO\.I2C_PORT_0\.BITBANG START >00LOST! \+ /);
    expect(i2c[1]).toMatch(/ \.\.\. /);
  });
});
