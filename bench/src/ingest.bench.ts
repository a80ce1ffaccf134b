// Ingest speed and memory: the worker's full pass over an uploaded .xz (unpack through a spawned
// `xz -dc -T0`, parse, validate, identify, event store written to a local blob store, register
// statistics) against `xz -dc` alone on the same file, in the same run. Each ingest runs in a
// child process so its peak RSS is its own (the xz child's memory is reported beside it).
// Then the 2 GiB xz bomb (2 GiB of zeros, ~320 KB of xz): once with the default limits (stopped by
// the expansion ratio) and once with the ratio check off (all 2 GiB decoded and refused).
//
//   npx tsx bench/src/ingest.bench.ts [--size 500M] [--seed 1] [--dir /tmp/mmiohub-ingest-bench]
//                                     [--forms single,mt] [--modes thread,inline] [--no-bomb]
//
// Inputs are generated under --dir once and reused (xz -6 of 500 MB takes minutes).
import { spawn, spawnSync } from "node:child_process";
import {
  createReadStream,
  createWriteStream,
  existsSync,
  mkdtempSync,
  renameSync,
  rmSync,
  statSync,
} from "node:fs";
import { loadavg as osLoadavg, tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { parseSize, writeTrace } from "./generate-trace";

const loadavg = () =>
  osLoadavg()
    .map((l) => l.toFixed(2))
    .join(" ");
const rssMb = () => process.resourceUsage().maxRSS / 1024;

/** Runs a command with stdout discarded; wall seconds and its peak RSS (GNU time). */
function timed(
  cmd: string[],
): Promise<{ seconds: number; cpuSeconds: number | null; peakRssMb: number | null }> {
  const useTime = existsSync("/usr/bin/time");
  const argv = useTime ? ["/usr/bin/time", "-f", "%U %S %M", ...cmd] : cmd;
  const t0 = performance.now();
  return new Promise((resolve, reject) => {
    const child = spawn(argv[0]!, argv.slice(1), { stdio: ["ignore", "ignore", "pipe"] });
    let err = "";
    child.stderr.on("data", (d) => {
      err += d;
    });
    child.on("error", reject);
    child.on("close", (code) => {
      if (code !== 0) return reject(new Error(`${cmd.join(" ")} exited ${code}: ${err.slice(-500)}`));
      const [user, sys, kb] = (err.trim().split("\n").pop() ?? "").split(" ").map(Number);
      resolve({
        seconds: (performance.now() - t0) / 1000,
        cpuSeconds: useTime ? user! + sys! : null,
        peakRssMb: useTime && kb! > 0 ? kb! / 1024 : null,
      });
    });
  });
}

interface ChildResult {
  seconds: number;
  /** The process's first (tiny) trace: indexing thread start and rnndb load, paid once per worker. */
  warmupSeconds: number;
  /** CPU seconds of the worker process itself (the xz child not included). */
  cpuSeconds: number;
  peakRssMb: number;
  outcome: string;
  events?: number;
  textBytes?: number;
  eventStoreBytes?: number;
  registers?: number;
  checkpoints?: number;
}

/** In the child: ingest one archive file, print the figures as JSON. */
async function child(file: string, env: Record<string, string>, inline: boolean): Promise<void> {
  const { LocalBlobStore } = await import("@mmiohub/storage");
  const { createPrisma } = await import("@mmiohub/db");
  const { pino } = await import("pino");
  const worker = await import("../../services/worker/src/index");
  const { indexContext } = await import("../../services/worker/src/ingest/context");
  const { Notes } = await import("../../services/worker/src/ingest/notes");
  const dir = mkdtempSync(join(tmpdir(), "mmiohub-ingest-bench-store-"));
  try {
    const config = worker.loadWorkerEnv({ ...process.env, STORAGE_DIR: dir, ...env });
    const storage = new LocalBlobStore(dir);
    const archive = await storage.put(createReadStream(file, { highWaterMark: 1 << 20 }));
    const log = pino({ level: "warn" });
    const deps = { prisma: createPrisma(config.DATABASE_URL), storage, config, log };
    await indexContext(config, log); // pci.ids read once per process, as in the worker
    const { setIndexThreadEnabled } = await import("../../services/worker/src/index-trace/index-thread");
    setIndexThreadEnabled(!inline);
    // A running worker has its indexing thread up and the rnndb opened (once per process): a
    // first small trace does that here, timed on its own.
    const small = join(dir, "warmup.mmiotrace");
    const out = createWriteStream(small);
    await writeTrace(out, { size: 200_000, seed: 2 });
    await new Promise((resolve) => out.end(resolve));
    const warm = await storage.put(createReadStream(small));
    const w0 = performance.now();
    await worker.readSubmission(deps, warm.key, warm.size, "warmup", new Notes());
    const warmupSeconds = (performance.now() - w0) / 1000;
    const t0 = performance.now();
    const c0 = process.cpuUsage();
    const cpu = () => {
      const c = process.cpuUsage(c0);
      return (c.user + c.system) / 1e6;
    };
    let result: ChildResult;
    try {
      const notes = new Notes();
      const r = await worker.readSubmission(deps, archive.key, archive.size, "bench.xz", notes);
      worker.buildRecords({ metadata: {}, description: null }, r, await indexContext(config, log), notes);
      const t = r.traces[0]!;
      result = {
        seconds: (performance.now() - t0) / 1000,
        warmupSeconds,
        cpuSeconds: cpu(),
        peakRssMb: rssMb(),
        outcome: "done",
        events: t.indexed.summary.events,
        textBytes: t.textBytes,
        eventStoreBytes: t.indexed.eventStore.size,
        registers: t.indexed.registers.count,
        checkpoints: t.indexed.eventStore.meta.checkpointCount,
      };
    } catch (err) {
      result = {
        seconds: (performance.now() - t0) / 1000,
        warmupSeconds,
        cpuSeconds: cpu(),
        peakRssMb: rssMb(),
        outcome: `${(err as { code?: string }).code ?? "ERROR"}: ${(err as Error).message}`,
      };
    }
    process.stdout.write(`${JSON.stringify(result)}\n`);
    await deps.prisma.$disconnect();
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

async function ingestInChild(
  file: string,
  env: Record<string, string> = {},
  inline = false,
): Promise<ChildResult> {
  const self = fileURLToPath(import.meta.url);
  const args = [self, "--child", file, JSON.stringify(env), inline ? "inline" : "thread"];
  // The worker's own V8 flag (scripts/run-services.mjs, docker-compose.yml): a small young generation.
  const r = spawnSync(process.execPath, ["--max-semi-space-size=4", "--import", "tsx", ...args], {
    encoding: "utf8",
    maxBuffer: 1 << 24,
  });
  const line = r.stdout.trim().split("\n").pop() ?? "";
  try {
    return JSON.parse(line) as ChildResult;
  } catch {
    throw new Error(`ingest child failed (${r.status}): ${r.stderr.slice(-2000)}`);
  }
}

function ensure(path: string, make: () => void): string {
  if (!existsSync(path)) {
    process.stderr.write(`making ${path} ...\n`);
    make();
  }
  return path;
}

const mb = (n: number) => (n / 1e6).toFixed(1);

async function main(argv: string[]): Promise<void> {
  if (argv[0] === "--child") return child(argv[1]!, JSON.parse(argv[2] ?? "{}"), argv[3] === "inline");
  // The register database the worker annotates with (as in the tests), unless set.
  const rnndb = fileURLToPath(new URL("../../../shared/rnndb/envytools", import.meta.url));
  if (!process.env.MMIOHUB_RNNDB && existsSync(rnndb)) process.env.MMIOHUB_RNNDB = rnndb;
  const arg = (name: string) => {
    const i = argv.indexOf(name);
    return i >= 0 ? argv[i + 1] : undefined;
  };
  const sizeText = arg("--size") ?? "500M";
  const size = parseSize(sizeText);
  const seed = Number(arg("--seed") ?? "1");
  const dir = arg("--dir") ?? "/tmp/mmiohub-ingest-bench";
  const forms = (arg("--forms") ?? "single,mt").split(",");
  // thread: the worker as it runs (the pass on its indexing thread); inline: the pass on the main
  // thread, for comparison.
  const modes = (arg("--modes") ?? "thread").split(",");
  spawnSync("mkdir", ["-p", dir]);
  const text = join(dir, `trace-${sizeText}-seed${seed}.mmiotrace`);
  if (!existsSync(text)) {
    process.stderr.write(`generating ${text} ...\n`);
    // under a temporary name, as the .xz files below: an interrupted run leaves no partial input
    const out = createWriteStream(`${text}.tmp`);
    await writeTrace(out, { size, seed });
    await new Promise((resolve) => out.end(resolve));
    renameSync(`${text}.tmp`, text);
  }
  const files: [string, string][] = [];
  if (forms.includes("single"))
    files.push([
      "xz -6",
      ensure(`${text}.xz`, () =>
        spawnSync("sh", [
          "-c",
          `xz -6 -T1 -c '${text}' > '${text}.xz.tmp' && mv '${text}.xz.tmp' '${text}.xz'`,
        ]),
      ),
    ]);
  if (forms.includes("mt"))
    files.push([
      "xz -6 -T0",
      ensure(`${text}.mt.xz`, () =>
        spawnSync("sh", [
          "-c",
          `xz -6 -T0 -c '${text}' > '${text}.mt.tmp' && mv '${text}.mt.tmp' '${text}.mt.xz'`,
        ]),
      ),
    ]);
  console.log(`ingest benchmark: ${sizeText} generated trace (seed ${seed}), ${new Date().toISOString()}`);
  console.log(`MMIOHUB_RNNDB=${process.env.MMIOHUB_RNNDB ?? "(unset: no checkpoints)"}; load: ${loadavg()}`);
  console.log(
    "| input | mode | compressed MB | `xz -dc` s (CPU s) | `xz -dc -T0` s | ingest s | ingest / `xz -dc` | worker CPU s | worker peak RSS MB | xz peak RSS MB | first-trace s | events | event store MB | registers | checkpoints |",
  );
  console.log("|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|");
  for (const [label, file] of files) {
    for (const mode of modes) {
      // the baseline right before each ingest: on a shared machine both see the same load
      const plain = await timed(["xz", "-dc", file]);
      const threaded = await timed(["xz", "-dc", "-T0", "--memlimit-decompress=1GiB", file]);
      const ingest = await ingestInChild(file, {}, mode === "inline");
      if (ingest.outcome !== "done") throw new Error(`ingest of ${file}: ${ingest.outcome}`);
      console.log(
        `| ${label} | ${mode} | ${mb(statSync(file).size)} | ${plain.seconds.toFixed(2)} (${plain.cpuSeconds?.toFixed(2) ?? "?"}) | ${threaded.seconds.toFixed(2)} | ${ingest.seconds.toFixed(2)} | ${(ingest.seconds / plain.seconds).toFixed(2)} | ${ingest.cpuSeconds.toFixed(2)} | ${ingest.peakRssMb.toFixed(0)} | ${threaded.peakRssMb?.toFixed(0) ?? "?"} | ${ingest.warmupSeconds.toFixed(2)} | ${ingest.events} | ${mb(ingest.eventStoreBytes!)} | ${ingest.registers} | ${ingest.checkpoints} |`,
      );
    }
  }
  if (!argv.includes("--no-bomb")) {
    const bomb = ensure(join(dir, "bomb-2GiB-zeros.xz"), () =>
      spawnSync("sh", [
        "-c",
        `head -c 2147483648 /dev/zero | xz -6 -T1 -c > '${dir}/bomb.tmp' && mv '${dir}/bomb.tmp' '${dir}/bomb-2GiB-zeros.xz'`,
      ]),
    );
    console.log("");
    console.log(`2 GiB xz bomb (${(statSync(bomb).size / 1024).toFixed(0)} KB of xz)`);
    console.log("| limits | `xz -dc` s | ingest s | worker peak RSS MB | outcome |");
    console.log("|---|---|---|---|---|");
    const plain = await timed(["xz", "-dc", bomb]);
    for (const [label, env] of [
      ["defaults (ratio 200 after 64 MiB)", {}],
      ["ratio check off: all 2 GiB decoded", { MAX_EXPANSION_RATIO: "1000000000" }],
    ] as const) {
      const r = await ingestInChild(bomb, env);
      console.log(
        `| ${label} | ${plain.seconds.toFixed(2)} | ${r.seconds.toFixed(2)} | ${r.peakRssMb.toFixed(0)} | ${r.outcome.slice(0, 120)} |`,
      );
    }
  }
}

main(process.argv.slice(2)).catch((err) => {
  console.error(err);
  process.exit(1);
});
