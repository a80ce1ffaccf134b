import { describe, expect, it } from "vitest";
import { annotate, lines, sample } from "./helpers";

describe("the edu database shipped with rnndb", () => {
  it("names the edu device's registers in the real QEMU capture", () => {
    const out = lines(annotate(sample("edu-qemu.mmiotrace"), { nvidia: undefined })).filter((l) =>
      l.startsWith("["),
    );
    expect(out).toEqual([
      "[0] 5.391702 MMIO32 R 0x000000 0x010000ed EDU.ID => { MAGIC = EDU | MINOR = 0 | MAJOR = 1 }",
      "[0] 5.393790 MMIO32 W 0x000004 0x12345678 EDU.LIVENESS <= 0x12345678",
      "[0] 5.393900 MMIO32 R 0x000004 0xedcba987 EDU.LIVENESS => 0xedcba987",
      "[0] 5.393993 MMIO32 W 0x000008 0x00000005 EDU.FACTORIAL <= 5",
      "[0] 5.452960 MMIO32 R 0x000020 0x00000000 EDU.STATUS => { 0 }",
      "[0] 5.453546 MMIO32 R 0x000008 0x00000078 EDU.FACTORIAL => 120",
      "[0] 5.474785 MMIO32 W 0x000004 0xcafef00d EDU.LIVENESS <= 0xcafef00d",
    ]);
  });

  it("passes markers and maps through and flags lost events", () => {
    const out = lines(annotate(sample("edu-qemu-lost-events.mmiotrace"), { nvidia: undefined }));
    const at = out.indexOf("MARK 0.000000 Lost 19780 events.");
    expect(at).toBeGreaterThan(0);
    expect(out[at + 1]).toBe(
      "LOST 19780 events: the kernel's buffer overflowed, accesses are missing before this point",
    );
    expect(out).toContain("MAP 5.152120 1 0xfeb00000 0xff7089afc0700000 0x100000 0x0 0");
    expect(out.at(-1)).toBe("MARK 6.921147 edu_mmio: after rmmod");
  });
});
