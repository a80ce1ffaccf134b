import type { Readable } from "node:stream";
import { IngestError } from "./errors";

export interface TraceDeviceInfo {
  position: number;
  busDevfn: string;
  vendorId: number;
  deviceId: number;
  irq: number;
  driver: string | null;
  bars: { start: string; flags: number; size: string }[];
}

export interface TraceAnalysis {
  textBytes: number;
  lineCount: number;
  recordCounts: Record<string, number>;
  devices: TraceDeviceInfo[];
  /** Access events (R/W/UNKNOWN). */
  accessCount: number;
}

/** Does this look like the start of an mmiotrace log? Decided by content, never by file name. */
export function looksLikeTrace(head: Buffer): boolean {
  const text = head
    .subarray(0, 4096)
    .toString("latin1")
    .replace(/^\uFEFF/, "");
  const first = text.split(/\r?\n/).find((l) => l.trim() !== "") ?? "";
  return /^(VERSION \d|PCIDEV [0-9a-f]{4} |LSPCI |MAP \d|MARK \d)/.test(first);
}

// Interim analysis (record counts and PCIDEV lines) until the trace core's parser replaces it.
const KINDS = ["VERSION", "PCIDEV", "LSPCI", "MAP", "UNMAP", "R", "W", "MARK", "UNKNOWN"];

function parsePcidev(line: string, position: number): TraceDeviceInfo | null {
  const f = line.split(" ");
  if (f.length < 18 || !/^[0-9a-f]{4}$/.test(f[1]!) || !/^[0-9a-f]{8}$/.test(f[2]!)) return null;
  const starts = f.slice(4, 11);
  const sizes = f.slice(11, 18);
  return {
    position,
    busDevfn: f[1]!,
    vendorId: Number.parseInt(f[2]!.slice(0, 4), 16),
    deviceId: Number.parseInt(f[2]!.slice(4), 16),
    irq: Number.parseInt(f[3]!, 16),
    driver: f.slice(18).join(" ").trim() || null,
    bars: starts.map((s, i) => {
      const v = BigInt(`0x${s}`);
      return {
        start: `0x${(v & ~0xfn).toString(16)}`,
        flags: Number(v & 0xfn),
        size: `0x${sizes[i] ?? "0"}`,
      };
    }),
  };
}

export async function analyzeTrace(stream: Readable, maxLineBytes: number): Promise<TraceAnalysis> {
  const counts: Record<string, number> = Object.fromEntries([...KINDS, "LOST", "INVALID"].map((k) => [k, 0]));
  const devices: TraceDeviceInfo[] = [];
  let textBytes = 0;
  let lineCount = 0;
  let carry = "";
  const onLine = (line: string) => {
    lineCount++;
    const kind = line.slice(0, line.indexOf(" ") >>> 0);
    if (kind === "MARK" && / Lost \d+ events\.$/.test(line)) counts.LOST!++;
    else if (kind in counts) counts[kind]!++;
    else if (line !== "") counts.INVALID!++;
    if (kind === "PCIDEV") {
      const d = parsePcidev(line, devices.length);
      if (d) devices.push(d);
    }
  };
  for await (const chunk of stream) {
    textBytes += chunk.length;
    const text = carry + (chunk as Buffer).toString("latin1");
    const lines = text.split("\n");
    carry = lines.pop() ?? "";
    if (carry.length > maxLineBytes) {
      throw new IngestError(
        "TRACE_LINE_TOO_LONG",
        `line ${lineCount + 1} is longer than ${maxLineBytes} bytes`,
      );
    }
    for (const l of lines) onLine(l.endsWith("\r") ? l.slice(0, -1) : l);
  }
  if (carry) onLine(carry);
  return {
    textBytes,
    lineCount,
    recordCounts: counts,
    devices,
    accessCount: counts.R! + counts.W! + counts.UNKNOWN!,
  };
}
