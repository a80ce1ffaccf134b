import { describe, expect, it } from "vitest";
import { parse, rng } from "./helpers";

// The common R/W line has a fast path (whole chunks) and a general path (lines split across
// chunks). Feeding one byte at a time forces every line through the general path, so comparing
// the two on random lines checks that they agree on every field, accept the same lines and
// reject the same lines.

const HEADER =
  "VERSION 20070824\nPCIDEV 0100 10de0fc6 1a f6000000 c00000000c 0 0 0 0 0 1000000 400000000 0 0 0 0 0 nvidia\n" +
  "MAP 1.000000 1 0xf6000000 0xffffc90010000000 0x1000000 0x0 0\n";

function randomLine(rand: () => number): string {
  const pick = <T>(xs: readonly T[]): T => xs[Math.floor(rand() * xs.length)]!;
  const hexOf = (digits: number) =>
    Array.from(
      { length: digits },
      (_, i) =>
        "0123456789abcdef"[i === 0 && digits > 1 ? 1 + Math.floor(rand() * 15) : Math.floor(rand() * 16)],
    ).join("");
  const num = () =>
    pick([
      "0",
      "1",
      "9",
      "10",
      String(Math.floor(rand() * 4294967295)),
      "4294967295",
      "4294967296",
      "2147483647",
      "2147483648",
      "-1",
      "007",
      "",
    ]);
  const hx = () =>
    pick([
      `0x${hexOf(1 + Math.floor(rand() * 8))}`,
      `0x${hexOf(9 + Math.floor(rand() * 8))}`,
      "0x0",
      "0x00",
      "0xABC",
      `0x${hexOf(17)}`,
      "0x",
      "f6000000",
    ]);
  const addr = () => pick(["0xf6000000", "0xf6009400", "0xf6ffffff", "0xf7000000", "0xc3ffffff00", hx()]);
  const usec = () => pick(["000000", "123456", "999999", "12345", "1234567", "12345a"]);
  // Mostly well-formed fields, so that most lines are valid and the rest fail in varied places.
  const ok = <T>(good: T, odd: () => T): T => (rand() < 0.85 ? good : odd());
  const fields = [
    ok(pick(["R", "W"]), () => "X"),
    ok(pick(["1", "2", "4", "8"]), () => pick(["3", "16"])),
    `${ok(String(Math.floor(rand() * 5000)), num)}.${ok("123456", usec)}`,
    ok(pick(["1", "2"]), num),
    addr(),
    ok(`0x${hexOf(1 + Math.floor(rand() * 8))}`, hx),
    ok("0x0", hx),
    ok("0", num),
  ];
  let line = fields.join(" ");
  if (rand() < 0.05) line += " ";
  if (rand() < 0.05) line = line.replace(" ", "  ");
  if (rand() < 0.1) line += "\r";
  return line;
}

describe("fast path and general path agree", () => {
  for (let seed = 1; seed <= 4; seed++) {
    it(`random R/W lines, seed ${seed}`, () => {
      const rand = rng(seed);
      const lines = Array.from({ length: 1500 }, () => randomLine(rand));
      const text = `${HEADER}${lines.join("\n")}\n`;
      const bytes = new TextEncoder().encode(text);
      const fast = parse(bytes);
      const slow = parse(
        bytes,
        Array.from({ length: bytes.length }, (_, i) => i),
      );
      expect(fast.rows).toEqual(slow.rows);
      expect(fast.summary).toEqual(slow.summary);
      expect(fast.errors).toEqual(slow.errors);
      // Both kinds of line occur, so the comparison means something.
      expect(fast.summary.counts.INVALID).toBeGreaterThan(100);
      expect(fast.summary.counts.R + fast.summary.counts.W).toBeGreaterThan(100);
      // Every accepted or rejected line still comes back as it was.
      expect(fast.written).toBe(text);
    });
  }
});
