// Trace parsing speed and memory: @mmiohub/trace (parse + resolve + validate) against a naive
// line-split parser, on generated traces of several sizes. Each size runs in a fresh child process
// so its peak RSS is its own; inside the child our parser runs first (its peak RSS is read before
// the baseline starts), then the baseline on the same file.
//
//   npx tsx bench/src/trace-parse.bench.ts [--sizes 100M,500M,1G] [--seed 1] [--dir /tmp] [--keep]
//
// Files are generated under --dir (not the repo) and deleted afterwards unless --keep.
import { spawnSync } from "node:child_process";
import { createReadStream, createWriteStream, existsSync, rmSync, statSync } from "node:fs";
import { loadavg } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { createParser, type TraceSummary } from "@mmiohub/trace";
import { parseSize, writeTrace } from "./generate-trace";

interface Figures {
  seconds: number;
  mbPerSec: number;
  /** Throughput per second of CPU time used by the process (user + system): the one-core figure. */
  mbPerCpuSec: number;
  cpuSeconds: number;
  eventsPerSec: number;
  events: number;
  peakRssMb: number;
}

const rssMb = () => process.resourceUsage().maxRSS / 1024;
const cpuSince = (start: NodeJS.CpuUsage) => {
  const d = process.cpuUsage(start);
  return (d.user + d.system) / 1e6;
};

/** Default options: a new batch per 16384 events. With `recycle`, each batch is handed back. */
async function runOurs(file: string, recycle: boolean): Promise<Figures & { summary: TraceSummary }> {
  let events = 0;
  const parser = createParser({
    onBatch: (b) => {
      events += b.length;
      if (recycle) parser.recycle(b);
    },
  });
  const c0 = process.cpuUsage();
  const t0 = process.hrtime.bigint();
  for await (const chunk of createReadStream(file, { highWaterMark: 1 << 20 })) parser.feed(chunk as Buffer);
  const summary = parser.end();
  const seconds = Number(process.hrtime.bigint() - t0) / 1e9;
  const cpuSeconds = cpuSince(c0);
  const bytes = summary.bytes;
  return {
    seconds,
    mbPerSec: bytes / 1e6 / seconds,
    cpuSeconds,
    mbPerCpuSec: bytes / 1e6 / cpuSeconds,
    eventsPerSec: events / seconds,
    events,
    peakRssMb: rssMb(),
    summary,
  };
}

/** What people write first: decode to string, split lines, split fields, an object per line. */
async function runNaive(file: string): Promise<Figures> {
  let events = 0;
  let accesses = 0;
  let rest = "";
  const c0 = process.cpuUsage();
  const t0 = process.hrtime.bigint();
  const handle = (line: string) => {
    if (line === "") return;
    const f = line.split(" ");
    const ev = {
      kind: f[0],
      width: Number.parseInt(f[1] ?? "0", 10),
      time: Number.parseFloat(f[2] ?? "0"),
      map: Number.parseInt(f[3] ?? "0", 10),
      addr: Number.parseInt(f[4] ?? "0", 16),
      value: Number.parseInt(f[5] ?? "0", 16),
    };
    events++;
    if ((ev.kind === "R" || ev.kind === "W") && ev.addr > 0) accesses++;
  };
  for await (const chunk of createReadStream(file, { highWaterMark: 1 << 20, encoding: "latin1" })) {
    const lines = (rest + (chunk as string)).split("\n");
    rest = lines.pop() ?? "";
    for (const line of lines) handle(line);
  }
  handle(rest);
  const seconds = Number(process.hrtime.bigint() - t0) / 1e9;
  const cpuSeconds = cpuSince(c0);
  const bytes = statSync(file).size;
  if (accesses === 0) throw new Error("baseline saw no accesses");
  return {
    seconds,
    mbPerSec: bytes / 1e6 / seconds,
    cpuSeconds,
    mbPerCpuSec: bytes / 1e6 / cpuSeconds,
    eventsPerSec: events / seconds,
    events,
    peakRssMb: rssMb(),
  };
}

async function child(file: string): Promise<void> {
  const ours = await runOurs(file, false);
  const { summary: _, ...recycled } = await runOurs(file, true);
  const naive = await runNaive(file);
  const { summary, ...oursFigures } = ours;
  process.stdout.write(
    `${JSON.stringify({
      ours: oursFigures,
      recycled,
      naive,
      check: {
        events: summary.events,
        unresolved: summary.accesses.unresolved,
        lost: summary.lost.events,
        markers: summary.markers.length,
        mappings: summary.mappings.length,
        card: summary.cards.find((c) => c.nvidia)?.id,
        issues: summary.report.issues.map((i) => `${i.code}:${i.count}`),
      },
    })}\n`,
  );
}

async function main(argv: string[]): Promise<void> {
  const arg = (name: string, def: string) => {
    const i = argv.indexOf(name);
    return i >= 0 ? (argv[i + 1] ?? def) : def;
  };
  if (argv[0] === "--child") return child(argv[1]!);
  const sizes = arg("--sizes", "100M,500M,1G").split(",");
  const seed = Number(arg("--seed", "1"));
  const dir = arg("--dir", "/tmp");
  const keep = argv.includes("--keep");
  const self = fileURLToPath(import.meta.url);
  const load = () =>
    loadavg()
      .map((l) => l.toFixed(2))
      .join(" ");
  console.log(`node ${process.version}, seed ${seed}; MB = 1e6 bytes; one child process per size`);
  console.log(`load average at start: ${load()} (machine shared; "per CPU-s" divides by the CPU time used)`);
  const rows: string[][] = [
    [
      "size",
      "parser",
      "MB/s wall",
      "MB/s per CPU-s",
      "Mevents/s wall",
      "wall s",
      "CPU s",
      "peak RSS MB",
      "events",
    ],
  ];
  const checks: string[] = [];
  for (const label of sizes) {
    const size = parseSize(label);
    const file = join(dir, `mmiohub-bench-${label}-seed${seed}.mmiotrace`);
    if (!existsSync(file) || statSync(file).size < size) {
      const t0 = Date.now();
      const out = createWriteStream(file);
      await writeTrace(out, { size, seed });
      await new Promise<void>((resolve, reject) =>
        out.end((err?: Error | null) => (err ? reject(err) : resolve())),
      );
      const mb = statSync(file).size / 1e6;
      console.log(`generated ${file}: ${mb.toFixed(0)} MB in ${((Date.now() - t0) / 1000).toFixed(1)} s`);
    }
    const res = spawnSync(process.execPath, [...process.execArgv, self, "--child", file], {
      encoding: "utf8",
      maxBuffer: 1 << 20,
    });
    if (!keep) rmSync(file, { force: true });
    if (res.status !== 0) throw new Error(`child failed: ${res.stderr}`);
    const r = JSON.parse(res.stdout.trim().split("\n").pop()!) as {
      ours: Figures;
      recycled: Figures;
      naive: Figures;
      check: Record<string, unknown>;
    };
    for (const [name, f] of [
      ["ours", r.ours],
      ["recycled", r.recycled],
      ["naive", r.naive],
    ] as const) {
      rows.push([
        label,
        name,
        f.mbPerSec.toFixed(1),
        f.mbPerCpuSec.toFixed(1),
        (f.eventsPerSec / 1e6).toFixed(2),
        f.seconds.toFixed(1),
        f.cpuSeconds.toFixed(1),
        `${f.peakRssMb.toFixed(0)}${name === "ours" ? "" : "*"}`,
        String(f.events),
      ]);
    }
    rows.push([
      label,
      "ours/naive",
      `${(r.ours.mbPerSec / r.naive.mbPerSec).toFixed(2)}x`,
      `${(r.ours.mbPerCpuSec / r.naive.mbPerCpuSec).toFixed(2)}x`,
      "",
      "",
      "",
      "",
      "",
    ]);
    checks.push(`${label}: ${JSON.stringify(r.check)}`);
  }
  const widths = rows[0]!.map((_, c) => Math.max(...rows.map((row) => row[c]!.length)));
  for (const row of rows) console.log(row.map((cell, c) => cell.padStart(widths[c]!)).join(" | "));
  for (const c of checks) console.log(c);
  console.log(`load average at end: ${load()}`);
  console.log(
    '"ours": default options (a new batch per 16384 events); "recycled": each batch handed back with parser.recycle',
  );
  console.log("* process peak so far: ours runs first in the child, then recycled, then naive");
}

main(process.argv.slice(2)).catch((err) => {
  console.error(err);
  process.exit(1);
});
