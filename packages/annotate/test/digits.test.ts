import { describe, expect, it } from "vitest";
import { putDec, putDecPad, putHex, putHex64, TextBuffer } from "../src/index";

// The digit writers against the language's own number formatting, over edges and a seeded spread.
function values(): number[] {
  const out = [
    0, 1, 9, 10, 15, 16, 99, 100, 255, 256, 999_999, 1_000_000, 0x7fffffff, 0x80000000, 0xffffffff,
  ];
  let x = 12345;
  for (let k = 0; k < 2000; k++) {
    x = (Math.imul(x, 1103515245) + 12345) >>> 0;
    // every magnitude: a random value cut to a random number of bits
    out.push(x >>> (k % 32));
  }
  return out;
}

const written = (put: (b: Uint8Array, p: number) => number) => {
  const b = new Uint8Array(64).fill(0x2a);
  const end = put(b, 3);
  // nothing written before the start
  expect([...b.subarray(0, 3)]).toEqual([0x2a, 0x2a, 0x2a]);
  return Buffer.from(b.subarray(3, end)).toString("latin1");
};

describe("digit writers", () => {
  it("putHex writes lower-case hex, at least `min` digits", () => {
    for (const v of values())
      for (const min of [1, 2, 6, 8])
        expect(written((b, p) => putHex(b, p, v, min))).toBe(v.toString(16).padStart(min, "0"));
  });

  it("putHex64 writes hi:lo as printf's %x, the high half unpadded", () => {
    const vs = values();
    for (let k = 0; k < vs.length; k++) {
      const lo = vs[k]!;
      const hi = vs[(k * 7) % vs.length]! & 0x1fffff;
      const big = (BigInt(hi) << 32n) | BigInt(lo);
      for (const min of [1, 8, 12])
        expect(written((b, p) => putHex64(b, p, lo, hi, min))).toBe(big.toString(16).padStart(min, "0"));
    }
  });

  it("putDecPad writes exactly `width` digits, zero-padded; putDec the plain decimal", () => {
    for (const v of values()) {
      if (v <= 0x7fffffff)
        for (const width of [1, 2, 3, 6, 7, 10])
          expect(written((b, p) => putDecPad(b, p, v, width))).toBe(
            (v % 10 ** width).toString().padStart(width, "0"),
          );
      expect(written((b, p) => putDec(b, p, v))).toBe(String(v));
    }
    expect(written((b, p) => putDec(b, p, 2 ** 53 - 1))).toBe(String(2 ** 53 - 1));
  });

  it("TextBuffer.hexNum and altHex cover numbers up to 2^53", () => {
    const t = new TextBuffer(16);
    for (const v of [0, 1, 0xffffffff, 0x100000000, 0x123456789ab, 2 ** 53 - 1]) {
      t.pos = 0;
      t.hexNum(v, 6);
      t.byte(0x20);
      t.altHex(v);
      expect(t.takeString()).toBe(
        `${v.toString(16).padStart(6, "0")} ${v === 0 ? "0" : `0x${v.toString(16)}`}`,
      );
    }
  });
});
