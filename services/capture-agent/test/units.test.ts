import { execFileSync } from "node:child_process";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { parseEdid } from "../src/edid";
import { tarEnd, tarHeader, tarPadding } from "../src/tar-header";
import { createTraceChecker } from "../src/trace-check";
import { createStoreXzEncoder } from "../src/xz-store";

const samples = join(process.env.MMIOHUB_SHARED ?? join(__dirname, "../../../../shared"), "samples");

function check(text: Buffer, sliceSize: number) {
  const checker = createTraceChecker();
  for (let at = 0; at < text.length; at += sliceSize) checker.feed(text.subarray(at, at + sliceSize));
  return checker.end();
}

describe("trace checks", () => {
  it("finds the card, the header and the lost events of a sample, whatever the chunking", () => {
    const text = readFileSync(join(samples, "gk107_hand.mmiotrace"));
    const whole = check(text, text.length);
    expect(whole).toMatchObject({
      versionSeen: true,
      lostEvents: 5,
      lostMarkers: 1,
      pciDevices: [
        { slot: "00:00.0", id: "8086:0c00", driver: null },
        { slot: "01:00.0", id: "10de:0fc6", driver: "nvidia" },
      ],
      card: { pciId: "10de:0fc6", boot0: 0x0e7150a2, chipset: 0xe7, family: "NVE0", name: "GK107" },
    });
    expect(whole.lines).toBe(text.toString().trim().split("\n").length);
    expect(check(text, 7)).toEqual(whole);
    expect(check(text, 1)).toEqual(whole);
  });

  it("warns of lost events as soon as the notice line is complete, in any chunking", () => {
    const text = readFileSync(join(samples, "edu-qemu-lost-events.mmiotrace"));
    const lineEnd = text.indexOf("\n", text.indexOf("Lost 19780 events.")) + 1;
    for (const size of [1, 13, 4096]) {
      let firedAt = -1;
      let fed = 0;
      const checker = createTraceChecker((count, total) => {
        expect([count, total]).toEqual([19780, 19780]);
        firedAt = fed;
      });
      for (let at = 0; at < text.length; at += size) {
        fed = Math.min(at + size, text.length);
        checker.feed(text.subarray(at, at + size));
      }
      expect(firedAt).toBeGreaterThanOrEqual(lineEnd);
      expect(firedAt).toBeLessThan(lineEnd + size);
      expect(checker.lostSoFar()).toBe(checker.end().lostEvents);
    }
  });

  it("counts the kernel's lost-events markers of a real capture", () => {
    const summary = check(readFileSync(join(samples, "edu-qemu-lost-events.mmiotrace")), 4096);
    expect(summary.lostEvents).toBe(19780);
    expect(summary.card).toBeNull();
  });
});

describe("EDID", () => {
  it("reads the monitor name and maker", () => {
    const edid = Buffer.alloc(128);
    Buffer.from([0x00, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x00]).copy(edid);
    edid.writeUInt16BE(((4 << 10) | (5 << 5) | 12) & 0xffff, 8); // "DEL"
    edid.writeUInt16LE(0xa0b1, 10);
    Buffer.from([0, 0, 0, 0xfc, 0]).copy(edid, 72);
    Buffer.from("DELL U2415\n  ", "latin1").copy(edid, 77);
    expect(parseEdid(edid)).toEqual({ manufacturer: "DEL", productCode: 0xa0b1, name: "DELL U2415" });
    expect(parseEdid(Buffer.alloc(128))).toBeNull();
  });
});

describe("store-mode xz and tar headers", () => {
  it("make a .tar.xz that GNU tar and xz-utils read back, also as concatenated streams", () => {
    const encode = (data: Buffer) => {
      const encoder = createStoreXzEncoder();
      return Buffer.concat([...encoder.push(data), ...encoder.finish()]);
    };
    const member = Buffer.from("VERSION 20070824\n".repeat(5000));
    const head = Buffer.concat([tarHeader("trace.mmiotrace", member.length, 1_700_000_000)]);
    const archive = Buffer.concat([
      encode(head),
      encode(member),
      encode(Buffer.concat([tarPadding(member.length), tarEnd()])),
    ]);
    execFileSync("xz", ["-t"], { input: archive });
    const listing = execFileSync("tar", ["-tvJf", "-"], { input: archive, encoding: "utf8" });
    expect(listing).toMatch(/root\/root\s+85000 .* trace\.mmiotrace/);
    expect(execFileSync("tar", ["-xOJf", "-", "trace.mmiotrace"], { input: archive }).equals(member)).toBe(
      true,
    );
  });

  it("writes sizes of 8 GiB and more in base-256", () => {
    const header = tarHeader("big", 10 * 1024 ** 3, 0);
    expect(header[124]).toBe(0x80);
    expect(header.readBigUInt64BE(128)).toBe(BigInt(10 * 1024 ** 3));
  });
});
