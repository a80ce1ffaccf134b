import { describe, expect, it } from "vitest";
import { EDGE_CASES } from "./fixtures";
import { type Parsed, parse, rng, SAMPLES, sample } from "./helpers";

const enc = new TextEncoder();

/** Everything a consumer can observe, for comparing one way of feeding with another. */
const observable = (p: Parsed) => ({
  summary: p.summary,
  errors: p.errors,
  rows: p.rows,
  written: p.written,
});

const inputs: [string, Uint8Array][] = [
  ...SAMPLES.map((n): [string, Uint8Array] => [n, sample(n)]),
  ["edge cases", enc.encode(EDGE_CASES)],
  ["edge cases with CRLF", enc.encode(EDGE_CASES.replaceAll("\n", "\r\n"))],
  ["gk107 without final newline", sample("gk107_hand").subarray(0, -1)],
];

describe("chunk independence", () => {
  for (const [name, bytes] of inputs) {
    it(`${name}: whole, random slices and one byte at a time give the same result`, () => {
      const whole = observable(parse(bytes));
      expect(whole.summary.events).toBeGreaterThan(0);
      for (let seed = 1; seed <= 5; seed++) {
        const rand = rng(seed);
        const cuts = Array.from({ length: 1 + Math.floor(rand() * 40) }, () =>
          Math.floor(rand() * bytes.length),
        );
        expect(observable(parse(bytes, cuts)), `seed ${seed}`).toEqual(whole);
      }
      const everyByte = Array.from({ length: bytes.length }, (_, i) => i);
      expect(observable(parse(bytes, everyByte))).toEqual(whole);
    });
  }

  it("batch size changes how events are grouped, not what they are", () => {
    const bytes = sample("edu-qemu-lost-events");
    const big = parse(bytes);
    const small = parse(bytes, [], { batchSize: 7 });
    expect(small.batches.length).toBe(Math.ceil(240 / 7));
    expect(small.batches.map((b) => b.start)).toEqual(small.batches.map((_, i) => i * 7));
    expect(small.rows).toEqual(big.rows);
    expect(small.summary).toEqual(big.summary);
  });
});
