import { describe, expect, it } from "vitest";
import { annotate, lines, sample } from "./helpers";

/**
 * Where our output differs from demmio's on purpose. Every other line must match exactly.
 * `demmio`: consecutive lines of demmio's output; `ours`: what we print in their place.
 */
interface Difference {
  reason: string;
  demmio: string[];
  ours: string[];
}

const GK107_DIFFERENCES: Difference[] = [
  {
    reason:
      "HWSQ disassembly needs envytools' ISA tables and is out of scope: the writes to the HWSQ " +
      "program area are printed as register accesses",
    demmio: [
      "[0] HWSQ     0x001400            PBUS+0x400",
      "00000000: 44                 ??? [unknown: 44] [unknown instruction]",
      "00000001: 33                 wait 0x3 shl 0x18",
      "00000002: 22                 wait 0x2 shl 0x10",
      "00000003: 11                 wait 0x1 shl 0x8",
      "00000004: 88                 unset 0x8",
      "00000005: 77                 ??? [unknown: 77] [unknown instruction]",
      "00000006: 66                 ??? [unknown: 66] [unknown instruction]",
      "00000007: 55                 ??? [unknown: 55] [unknown instruction]",
      "00000008: 7f                 exit",
      "00000009: 7f                 exit",
      "0000000a: 7f                 exit",
      "0000000b: 7f                 exit",
    ],
    ours: [
      "[0] 100.000370 MMIO32 W 0x001400 0x11223344 PBUS+0x400 <= 0x11223344",
      "[0] 100.000380 MMIO32 W 0x001404 0x55667788 PBUS+0x404 <= 0x55667788",
      "[0] 100.000390 MMIO32 W 0x001408 0x7f7f7f7f PBUS+0x408 <= 0x7f7f7f7f",
    ],
  },
  {
    reason: "demmio copies the kernel's lost-events marker without notice; we flag it",
    demmio: ["MARK 100.600000 Lost 5 events."],
    ours: [
      "MARK 100.600000 Lost 5 events.",
      "LOST 5 events: the kernel's buffer overflowed, accesses are missing before this point",
    ],
  },
  {
    reason:
      "demmio walks BAR3 page tables through its shadow of every VRAM word written (here all " +
      "zeros, so its second address is meaningless); that state is unbounded and cannot be " +
      "checkpointed, so we print the BAR offset only",
    demmio: ["[0] 100.600020 RAMIN32 10 10 <= 12345678"],
    ours: ["[0] 100.600020 RAMIN32 10 <= 12345678"],
  },
];

const GT215_DIFFERENCES: Difference[] = [
  {
    reason:
      "demmio drops PTIMER accesses made while an I2C transaction is open; we drop nothing, and " +
      "print the transaction as one line when it ends, so the read comes first",
    demmio: ["[0] I2C      0x00e138            PNVIO.I2C_PORT_0.BITBANG START >a0+ >00+ STOP"],
    ours: [
      "[0] 10.000043 MMIO32 R 0x009400 0x11111111 PTIMER.TIME_LOW => 0x11111111",
      "[0] I2C      0x00e138            PNVIO.I2C_PORT_0.BITBANG START >a0+ >00+ STOP",
    ],
  },
  {
    reason: "PDAEMON script disassembly is out of scope",
    demmio: ["SEQ script, size: 12B", "000000: WAIT          1000 ns", "000008: EXIT          "],
    ours: [],
  },
];

function apply(demmio: string[], diffs: Difference[]): string[] {
  const out = [...demmio];
  for (const d of diffs) {
    const at = out.findIndex((_, i) => d.demmio.every((l, j) => out[i + j] === l));
    if (at < 0) throw new Error(`difference not found in demmio's output: ${d.demmio[0]}`);
    out.splice(at, d.demmio.length, ...d.ours);
  }
  return out;
}

describe("demmio's reference outputs", () => {
  it.each([
    ["gk107_hand", GK107_DIFFERENCES],
    ["gt215_i2c_seq", GT215_DIFFERENCES],
  ])("%s: every line matches demmio's but the listed differences", (name, diffs) => {
    const ours = lines(annotate(sample(`${name}.mmiotrace`)));
    const expected = apply(lines(sample(`${name}.demmio.txt`)), diffs);
    expect(ours).toEqual(expected);
  });
});
