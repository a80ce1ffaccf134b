import { describe, expect, it } from "vitest";
import { EventKind } from "../src/index";
import { issue, parse, rng, SAMPLES, sample } from "./helpers";

const dec = new TextDecoder();

/** Lines of a byte string as the parser counts them (a final line without \n counts). */
const lineCount = (bytes: Uint8Array) => {
  let n = 0;
  for (const b of bytes) if (b === 10) n++;
  return bytes.length > 0 && bytes[bytes.length - 1] !== 10 ? n + 1 : n;
};

/**
 * Whatever the damage: no throw, one event per line, every INVALID event reported at its line,
 * and every line the parser accepted written back exactly as it was.
 */
function checkDamaged(bytes: Uint8Array, label: string) {
  const p = parse(bytes, [], { maxLineLength: 2000 });
  expect(p.summary.events, label).toBe(lineCount(bytes));
  const reported = new Set(p.errors.filter((e) => e.code !== "TRUNCATED_LAST_LINE").map((e) => e.line));
  const text = dec.decode(bytes);
  const lines = text.split("\n");
  for (const row of p.rows) {
    if (row.kind === EventKind.INVALID)
      expect(reported.has(row.line as number), `${label} line ${row.line}`).toBe(true);
  }
  expect(reported.size, label).toBe(p.summary.counts.INVALID);
  // Lines up to 1024 characters keep their text even when invalid, so the whole input comes back.
  if (lines.every((l) => l.length <= 1024) && !text.includes("\uFFFD")) expect(p.written, label).toBe(text);
  return p;
}

describe("robustness", () => {
  for (const name of SAMPLES) {
    it(`${name}: random byte flips`, () => {
      const original = sample(name);
      for (let seed = 1; seed <= 30; seed++) {
        const rand = rng(seed);
        const bytes = original.slice();
        const flips = 1 + Math.floor(rand() * 8);
        for (let i = 0; i < flips; i++) bytes[Math.floor(rand() * bytes.length)] = Math.floor(rand() * 256);
        checkDamaged(bytes, `${name} seed ${seed}`);
      }
    });

    it(`${name}: cut at random places`, () => {
      const original = sample(name);
      const rand = rng(99);
      for (let i = 0; i < 20; i++) {
        const at = 1 + Math.floor(rand() * (original.length - 1));
        const bytes = original.subarray(0, at);
        const p = checkDamaged(bytes, `${name} cut at ${at}`);
        if (bytes[bytes.length - 1] !== 10) {
          expect(issue(p.summary, "TRUNCATED_LAST_LINE")).toMatchObject({ firstLines: [lineCount(bytes)] });
        }
      }
    });

    it(`${name}: garbage and huge lines inserted`, () => {
      const lines = dec.decode(sample(name)).split("\n");
      const rand = rng(7);
      for (let i = 0; i < 10; i++) {
        const copy = [...lines];
        const at = Math.floor(rand() * (copy.length - 1));
        const junk =
          i % 3 === 0
            ? "x".repeat(3000 + Math.floor(rand() * 5000))
            : i % 3 === 1
              ? String.fromCharCode(...Array.from({ length: 40 }, () => 32 + Math.floor(rand() * 95)))
              : "R 4 1.5 1 0xzz 0x1 0x0 0";
        copy.splice(at, 0, junk);
        const bytes = new TextEncoder().encode(copy.join("\n"));
        const p = checkDamaged(bytes, `${name} junk ${i}`);
        const code = junk.length > 2000 ? "LINE_TOO_LONG" : "UNPARSABLE_LINE";
        expect(p.errors.find((e) => e.line === at + 1)?.code, `${name} junk ${i}`).toBe(code);
        // The real records around the junk are all still there.
        const clean = parse(sample(name)).summary.counts;
        expect(p.summary.counts.R).toBe(clean.R);
        expect(p.summary.counts.W).toBe(clean.W);
      }
    });
  }

  it("a stream of newlines, NULs and binary noise", () => {
    const rand = rng(5);
    const noise = Uint8Array.from({ length: 20000 }, () => Math.floor(rand() * 256));
    const p = parse(noise, [100, 5000, 12345]);
    expect(p.summary.events).toBe(lineCount(noise));
    expect(p.summary.report.ok).toBe(false);
    const blank = parse(new TextEncoder().encode("\n\n\n"));
    expect(blank.summary.counts.INVALID).toBe(3);
  });
});
