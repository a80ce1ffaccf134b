// Annotation speed and memory: @mmiohub/annotate turning a generated trace into demmio-format
// text, against plain parsing with @mmiohub/trace of the same file in the same run (the floor:
// annotation cannot be faster than parsing). Each run is a fresh child process, so its peak RSS
// is its own. The card of the generated trace never reads PMC_BOOT_0, so the chipset is forced
// (`-a`, default GK107) as a maintainer would; then PRAMIN, CRTC and I2C decoders all run.
//
//   MMIOHUB_RNNDB=../shared/rnndb/envytools npx tsx bench/src/annotate.bench.ts \
//     [--size 500M] [--seed 1] [--chipset GK107] [--dir /tmp] [--keep]
//
// The trace is generated under --dir (never the repo) and deleted afterwards unless --keep; the
// annotated text is written to /dev/null.
import { spawnSync } from "node:child_process";
import { once } from "node:events";
import { createReadStream, createWriteStream, existsSync, rmSync, statSync } from "node:fs";
import { loadavg } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { TraceAnnotator } from "@mmiohub/annotate";
import { openEnvytoolsDatabase } from "@mmiohub/rnndb";
import { createParser } from "@mmiohub/trace";
import { parseSize, writeTrace } from "./generate-trace";

interface Figures {
  seconds: number;
  cpuSeconds: number;
  peakRssMb: number;
  events: number;
  outBytes: number;
  dbSeconds: number;
  dbCpuSeconds: number;
}

const cpu = () => {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1e6;
};

async function parseOnly(file: string): Promise<Figures> {
  let events = 0;
  const parser = createParser({ reuseBatches: true, onBatch: (b) => (events += b.length) });
  const t0 = performance.now();
  const c0 = cpu();
  for await (const chunk of createReadStream(file, { highWaterMark: 1 << 20 })) parser.feed(chunk as Buffer);
  parser.end();
  return {
    seconds: (performance.now() - t0) / 1000,
    cpuSeconds: cpu() - c0,
    peakRssMb: process.resourceUsage().maxRSS / 1024,
    events,
    outBytes: 0,
    dbSeconds: 0,
    dbCpuSeconds: 0,
  };
}

async function annotate(file: string, chipset: string): Promise<Figures> {
  const dir = process.env.MMIOHUB_RNNDB;
  if (!dir) throw new Error("set MMIOHUB_RNNDB to envytools' rnndb folder");
  const t0 = performance.now();
  const c0 = cpu();
  const db = openEnvytoolsDatabase(dir);
  const chip = db.chipByName(chipset);
  if (chip?.chipset === undefined) throw new Error(`unknown chipset ${chipset}`);
  db.compile(chip.variant.selection).domain("NV_MMIO");
  const dbSeconds = (performance.now() - t0) / 1000;
  const dbCpuSeconds = cpu() - c0;
  const annotator = new TraceAnnotator({ nvidia: db, forcedChipset: chip.chipset });
  let events = 0;
  const parser = createParser({
    reuseBatches: true,
    onBatch: (b) => {
      events += b.length;
      annotator.batch(b, parser.devices());
    },
  });
  const out = createWriteStream("/dev/null");
  let outBytes = 0;
  const flush = async () => {
    const bytes = annotator.writer.takeBytes();
    outBytes += bytes.length;
    if (!out.write(bytes)) await once(out, "drain");
  };
  for await (const chunk of createReadStream(file, { highWaterMark: 1 << 20 })) {
    parser.feed(chunk as Buffer);
    if (annotator.writer.pending >= 1 << 16) await flush();
  }
  parser.end();
  annotator.end();
  await flush();
  await new Promise<void>((resolve) => out.end(resolve));
  return {
    seconds: (performance.now() - t0) / 1000,
    cpuSeconds: cpu() - c0,
    peakRssMb: process.resourceUsage().maxRSS / 1024,
    events,
    outBytes,
    dbSeconds,
    dbCpuSeconds,
  };
}

function runChild(mode: string, file: string, chipset: string): Figures {
  const self = fileURLToPath(import.meta.url);
  const res = spawnSync(process.execPath, [...process.execArgv, self, "--child", mode, file, chipset], {
    encoding: "utf8",
    maxBuffer: 1 << 20,
  });
  if (res.status !== 0) throw new Error(`${mode} child failed: ${res.stderr}`);
  return JSON.parse(res.stdout.trim().split("\n").pop()!) as Figures;
}

async function main(argv: string[]): Promise<void> {
  if (argv[0] === "--child") {
    const [, mode, file, chipset] = argv;
    const f = mode === "parse" ? await parseOnly(file!) : await annotate(file!, chipset!);
    process.stdout.write(`${JSON.stringify(f)}\n`);
    return;
  }
  const arg = (name: string, def: string) => {
    const i = argv.indexOf(name);
    return i >= 0 ? (argv[i + 1] ?? def) : def;
  };
  const label = arg("--size", "500M");
  const seed = Number(arg("--seed", "1"));
  const chipset = arg("--chipset", "GK107");
  const file = join(arg("--dir", "/tmp"), `mmiohub-annotate-bench-${label}-seed${seed}.mmiotrace`);
  if (!existsSync(file) || statSync(file).size < parseSize(label)) {
    const out = createWriteStream(file);
    await writeTrace(out, { size: parseSize(label), seed });
    await new Promise<void>((resolve, reject) =>
      out.end((err?: Error | null) => (err ? reject(err) : resolve())),
    );
  }
  const mb = statSync(file).size / 1e6;
  try {
    console.log(
      `node ${process.version}, ${mb.toFixed(0)} MB trace (seed ${seed}), -a ${chipset}; MB = 1e6 bytes`,
    );
    console.log(
      `load average at start: ${loadavg()
        .map((l) => l.toFixed(1))
        .join(" ")} (the machine is shared)`,
    );
    console.log(
      "run      |  MB/s wall | MB/s per CPU-second | seconds | CPU s | peak RSS MB | events   | out MB",
    );
    const rows: [string, Figures][] = [
      ["parse", runChild("parse", file, chipset)],
      ["annotate", runChild("annotate", file, chipset)],
    ];
    for (const [name, f] of rows) {
      console.log(
        `${name.padEnd(8)} | ${(mb / f.seconds).toFixed(1).padStart(10)} | ${(mb / f.cpuSeconds).toFixed(1).padStart(19)} | ${f.seconds.toFixed(1).padStart(7)} | ${f.cpuSeconds.toFixed(1).padStart(5)} | ${f.peakRssMb.toFixed(0).padStart(11)} | ${f.events} | ${(f.outBytes / 1e6).toFixed(0)}`,
      );
    }
    const a = rows[1]![1];
    const loop = { ...a, seconds: a.seconds - a.dbSeconds, cpuSeconds: a.cpuSeconds - a.dbCpuSeconds };
    console.log(
      `${"  w/o db".padEnd(8)} | ${(mb / loop.seconds).toFixed(1).padStart(10)} | ${(mb / loop.cpuSeconds).toFixed(1).padStart(19)} | ${loop.seconds.toFixed(1).padStart(7)} | ${loop.cpuSeconds.toFixed(1).padStart(5)} |`,
    );
    console.log(
      `(annotate includes loading and compiling the database: ${a.dbSeconds.toFixed(2)} s, ${a.dbCpuSeconds.toFixed(2)} CPU s; "w/o db" subtracts it)`,
    );
    console.log(
      `annotate/parse time ratio: ${(a.seconds / rows[0]![1].seconds).toFixed(2)} (wall), ${(a.cpuSeconds / rows[0]![1].cpuSeconds).toFixed(2)} (CPU)`,
    );
    console.log(
      `load average at end: ${loadavg()
        .map((l) => l.toFixed(1))
        .join(" ")}`,
    );
  } finally {
    if (!argv.includes("--keep")) rmSync(file, { force: true });
  }
}

main(process.argv.slice(2)).catch((err) => {
  console.error(err);
  process.exit(1);
});
