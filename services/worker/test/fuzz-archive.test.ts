import { Readable } from "node:stream";
import { describe, expect, it } from "vitest";
import { IngestError } from "../src/ingest/errors";
import { readSubmission } from "../src/ingest/pipeline";
import { gzip, makeDeps, sample, tar, xz } from "./helpers";

// A seeded fuzz of the archive reader: valid archives of every form, damaged at random (bytes
// flipped, cut short, garbage spliced in, bytes duplicated). Each must end either read or rejected
// with an IngestError carrying a stable code — never another exception, never a hang.
const SEED = Number(process.env.FUZZ_SEED ?? 20261126);
const CASES = Number(process.env.FUZZ_CASES ?? 60);

function prng(seed: number) {
  let s = seed >>> 0;
  return () => {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function mutate(input: Buffer, random: () => number): { bytes: Buffer; how: string } {
  const b = Buffer.from(input);
  const at = () => Math.floor(random() * b.length);
  switch (Math.floor(random() * 5)) {
    case 0: {
      const n = 1 + Math.floor(random() * 8);
      for (let i = 0; i < n; i++) b[at()] = Math.floor(random() * 256);
      return { bytes: b, how: `${n} bytes flipped` };
    }
    case 1: {
      const cut = at();
      return { bytes: b.subarray(0, cut), how: `cut at ${cut}` };
    }
    case 2: {
      const pos = at();
      const junk = Buffer.from(
        Array.from({ length: 1 + Math.floor(random() * 64) }, () => Math.floor(random() * 256)),
      );
      return {
        bytes: Buffer.concat([b.subarray(0, pos), junk, b.subarray(pos)]),
        how: `${junk.length} junk bytes at ${pos}`,
      };
    }
    case 3: {
      const from = at();
      const len = Math.floor(random() * 256);
      return { bytes: Buffer.concat([b, b.subarray(from, from + len)]), how: `${len} bytes appended` };
    }
    default: {
      const pos = at();
      const len = Math.floor(random() * 128);
      return {
        bytes: Buffer.concat([b.subarray(0, pos), b.subarray(pos + len)]),
        how: `${len} bytes removed at ${pos}`,
      };
    }
  }
}

describe("archive reader fuzz", () => {
  it(`${CASES} damaged archives (seed ${SEED}) end read or with a coded IngestError`, async () => {
    const random = prng(SEED);
    const trace = await sample("gk107_hand.mmiotrace");
    const tarred = await tar([
      { name: "description.txt", body: Buffer.from("fuzz") },
      { name: "trace.log", body: trace },
    ]);
    const bases: [string, Buffer][] = [
      ["plain", trace],
      ["xz", xz(trace)],
      ["gz", gzip(trace)],
      ["tar", tarred],
      ["tar.xz", xz(tarred)],
      ["tar.gz", gzip(tarred)],
    ];
    const deps = await makeDeps();
    const outcomes: Record<string, number> = {};
    for (let i = 0; i < CASES; i++) {
      const [form, base] = bases[i % bases.length]!;
      const { bytes, how } = mutate(base, random);
      const blob = await deps.storage.put(Readable.from([bytes]));
      try {
        await readSubmission(deps, blob.key, blob.size, `fuzz.${form}`);
        outcomes.read = (outcomes.read ?? 0) + 1;
      } catch (err) {
        if (!(err instanceof IngestError)) {
          throw new Error(
            `case ${i} (${form}, ${how}) threw ${(err as Error)?.name}: ${(err as Error)?.message}`,
          );
        }
        expect(err.code, `case ${i} (${form}, ${how})`).toMatch(/^[A-Z_]+$/);
        outcomes[err.code] = (outcomes[err.code] ?? 0) + 1;
      }
    }
    // The damage must actually reach the reader: some cases are rejected, for more than one reason.
    const rejected = Object.entries(outcomes).filter(([k]) => k !== "read");
    expect(rejected.length).toBeGreaterThan(1);
  }, 300_000);
});
