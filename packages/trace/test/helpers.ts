import { readFileSync } from "node:fs";
import { join } from "node:path";
import {
  createParser,
  formatEvents,
  type TraceBatch,
  type TraceError,
  type TraceSummary,
} from "../src/index";

const shared = process.env.MMIOHUB_SHARED ?? new URL("../../../../shared", import.meta.url).pathname;

export const SAMPLES = ["edu-qemu", "edu-qemu-lost-events", "gk107_hand", "gt215_i2c_seq"] as const;

export const sample = (name: string): Uint8Array =>
  new Uint8Array(readFileSync(join(shared, "samples", `${name}.mmiotrace`)));

const COLUMNS = [
  "kind",
  "width",
  "flags",
  "sec",
  "usec",
  "mapId",
  "addrLo",
  "addrHi",
  "valueLo",
  "valueHi",
  "pcLo",
  "pcHi",
  "pid",
  "device",
  "bar",
  "offsetLo",
  "offsetHi",
  "line",
  "byteOffset",
] as const;

export interface Parsed {
  summary: TraceSummary;
  errors: TraceError[];
  /** Every event as a plain row, for whole-result comparisons. */
  rows: Record<string, number | string | null>[];
  written: string;
  batches: TraceBatch[];
}

/** Parses `bytes` cut into pieces at the given offsets. */
export function parse(
  bytes: Uint8Array,
  cuts: readonly number[] = [],
  options: { maxLineLength?: number; batchSize?: number } = {},
): Parsed {
  const rows: Parsed["rows"] = [];
  const errors: TraceError[] = [];
  const batches: TraceBatch[] = [];
  let written = "";
  const parser = createParser({
    ...options,
    onBatch: (b) => {
      batches.push(b);
      written += formatEvents(b);
      for (let i = 0; i < b.length; i++) {
        const row: Record<string, number | string | null> = { index: b.start + i };
        for (const c of COLUMNS) row[c] = b[c][i]!;
        const x = b.extra[i]!;
        row.text = x >= 0 ? b.extras[x]!.text : null;
        row.raw = x >= 0 ? b.extras[x]!.raw : null;
        rows.push(row);
      }
    },
    onError: (e) => errors.push(e),
  });
  let pos = 0;
  for (const cut of [...cuts].sort((a, b) => a - b)) {
    if (cut <= pos || cut >= bytes.length) continue;
    parser.feed(bytes.subarray(pos, cut));
    pos = cut;
  }
  parser.feed(bytes.subarray(pos));
  const summary = parser.end();
  return { summary, errors, rows, written, batches };
}

/** Deterministic PRNG (mulberry32) so a failing random case can be replayed from its seed. */
export function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export const issue = (s: TraceSummary, code: string) => s.report.issues.find((i) => i.code === code);
