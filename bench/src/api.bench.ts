// API speed and memory over loopback, the API in its own process (services/api/src/server.ts):
//   (a) search: a mix of search URLs at 20 concurrent clients, beside GET /health (the server's floor);
//   (b) a 500-event annotated page at a random offset of the 20M-event trace (JSON API and the
//       sequence web page), for each checkpoint interval the trace was indexed with;
//   (c) a 1 GB upload, multipart and tus (one PATCH, and 8 MiB PATCHes as the capture agent
//       sends), MB/s and the API's RSS growth (sampled from /proc every 20 ms).
//
//   npx tsx bench/src/api.bench.ts [--dir /tmp/mmiohub-api-bench] [--duration 15] [--connections 20]
//       [--small 1000] [--big-size 860M] [--intervals 65536,4096,1024] [--upload-size 1G]
//       [--only search,events,upload] (events = events-api,events-page) [--no-floor] [--event-intervals 1024,...] [--api-node-options "--import ..."]
//       [--api-processes auto|N] [--load-generator autocannon|wrk|both] [--repeat N] (events rows N times, then their medians)
//
// The first run prepares everything under --dir (a database `mmiohub_api_bench`, blobs, the big
// trace text): see api-fixtures.ts. Later runs reuse it. Nothing here asserts a time.

import { spawn, spawnSync } from "node:child_process";
import { createHash, randomBytes } from "node:crypto";
import { once } from "node:events";
import {
  closeSync,
  createReadStream,
  createWriteStream,
  existsSync,
  fsyncSync,
  openSync,
  readFileSync,
  rmSync,
  statSync,
  writeFileSync,
  writeSync,
} from "node:fs";
import { rm } from "node:fs/promises";
import { request } from "node:http";
import { loadavg, tmpdir } from "node:os";
import { join } from "node:path";
import { pipeline } from "node:stream/promises";
import { LocalBlobStore } from "@mmiohub/storage";
import autocannon from "autocannon";
import {
  benchPaths,
  benchQuery,
  MARKERS,
  type Prepared,
  percentile,
  postMultipart,
  prepare,
  startApiProcess,
  withChildren,
} from "./api-fixtures";
import { parseSize } from "./generate-trace";

interface LoadResult {
  requests: number;
  rps: number;
  p50: number;
  p90: number;
  p99: number;
  max: number;
  non2xx: number;
  errors: number;
  /** CPU time (user + system) the API's processes used per request, ms; NaN when not known */
  cpuMs: number;
  /** CPU time of the load generator (autocannon in this process, or wrk's) per request, ms */
  clientCpuMs: number;
  /** share of the CPU time per API process ("51/49"), "-" for one */
  split: string;
}

/** The API processes behind each URL, whose CPU time `load` reads from /proc. */
const apiPids = new Map<string, number>();

/** utime + stime of a process, in ms (clock ticks of 10 ms). */
function cpuTimeMs(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
  const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
  return (Number(fields[11]) + Number(fields[12])) * 10;
}

/**
 * Starts counting the CPU time of the API processes behind `url` (from /proc); `done(requests)`
 * gives their CPU per request and how they shared it, in % ("51/49"; "-" for one process).
 */
function apiCpu(url: string): { done(requests: number): { cpuMs: number; split: string } } {
  const primary = apiPids.get(url);
  const pids = primary === undefined ? [] : withChildren(primary);
  const before = pids.map(cpuTimeMs);
  return {
    done(requests) {
      const used = pids.map((pid, k) => cpuTimeMs(pid) - before[k]!);
      const workers = used.slice(1);
      const total = Math.max(
        1,
        workers.reduce((a, b) => a + b, 0),
      );
      return {
        cpuMs: pids.length > 0 ? used.reduce((a, b) => a + b, 0) / Math.max(1, requests) : Number.NaN,
        split: workers.length > 1 ? workers.map((u) => ((100 * u) / total).toFixed(0)).join("/") : "-",
      };
    },
  };
}

/** The load generators: autocannon (in this process) and, when installed, wrk (a C program). */
type Generator = "autocannon" | "wrk";
const HAVE_WRK = spawnSync("wrk", ["--version"]).error === undefined && existsSync("/usr/bin/time");
let generators: Generator[] = HAVE_WRK ? ["autocannon", "wrk"] : ["autocannon"];

/** `connections` clients for `seconds`, each request's path from `nextPath`. */
function load(
  url: string,
  nextPath: () => string,
  connections: number,
  seconds: number,
  generator: Generator = generators[0]!,
): Promise<LoadResult> {
  return generator === "wrk"
    ? loadWrk(url, nextPath, connections, seconds)
    : loadAutocannon(url, nextPath, connections, seconds);
}

/** autocannon, in this process: exact latencies kept. */
async function loadAutocannon(
  url: string,
  nextPath: () => string,
  connections: number,
  seconds: number,
): Promise<LoadResult> {
  const latencies: number[] = [];
  let non2xx = 0;
  const api = apiCpu(url);
  const ownBefore = process.cpuUsage();
  const instance = autocannon({
    url,
    connections,
    duration: seconds,
    requests: [{ method: "GET", setupRequest: (req) => ({ ...req, path: nextPath() }) }],
  });
  instance.on("response", (_client, statusCode, _bytes, responseTime) => {
    if (statusCode >= 200 && statusCode < 300) latencies.push(responseTime);
    else non2xx++;
  });
  const result = await instance;
  const { cpuMs, split } = api.done(latencies.length + non2xx);
  const own = process.cpuUsage(ownBefore);
  latencies.sort((a, b) => a - b);
  return {
    cpuMs,
    clientCpuMs: (own.user + own.system) / 1000 / Math.max(1, latencies.length + non2xx),
    split,
    requests: latencies.length + non2xx,
    rps: (latencies.length + non2xx) / seconds,
    p50: percentile(latencies, 50),
    p90: percentile(latencies, 90),
    p99: percentile(latencies, 99),
    max: latencies[latencies.length - 1] ?? Number.NaN,
    non2xx,
    // autocannon's `errors` already counts timeouts
    errors: result.errors,
  };
}

/**
 * wrk, one thread, in its own process: the same paths (made here beforehand, requested in turn),
 * its own latency histogram. It spends about a third of autocannon's CPU per request, which on a
 * two-CPU machine is CPU the API gets back; its CPU time is read through GNU time.
 */
async function loadWrk(
  url: string,
  nextPath: () => string,
  connections: number,
  seconds: number,
): Promise<LoadResult> {
  const file = join(tmpdir(), `mmiohub-wrk-paths-${process.pid}.txt`);
  // More paths than requests made in the time (12,000 a second), so the list rarely wraps around.
  writeFileSync(file, `${Array.from({ length: 12_000 * seconds }, nextPath).join("\n")}\n`);
  const api = apiCpu(url);
  const script = new URL("./wrk-paths.lua", import.meta.url).pathname;
  const args = ["-t1", `-c${connections}`, `-d${seconds}s`, "--timeout", "10s", "-s", script, url];
  const child = spawn("/usr/bin/time", ["-f", "cpu %U %S", "wrk", ...args], {
    env: { ...process.env, WRK_PATHS: file },
  });
  let out = "";
  let err = "";
  child.stdout.on("data", (d: Buffer) => {
    out += d;
  });
  child.stderr.on("data", (d: Buffer) => {
    err += d;
  });
  const [code] = (await once(child, "close").finally(() => rmSync(file, { force: true }))) as [number];
  const line = out.split("\n").find((l) => l.startsWith("{"));
  if (code !== 0 || !line) throw new Error(`wrk failed (${code}): ${err || out}`);
  const w = JSON.parse(line) as {
    requests: number;
    durationUs: number;
    errors: number;
    non2xx: number;
    p50: number;
    p90: number;
    p99: number;
    max: number;
  };
  const time = /cpu ([\d.]+) ([\d.]+)/.exec(err);
  const wrkMs = time ? (Number(time[1]) + Number(time[2])) * 1000 : Number.NaN;
  return {
    ...api.done(w.requests),
    clientCpuMs: wrkMs / Math.max(1, w.requests),
    requests: w.requests,
    rps: w.requests / (w.durationUs / 1e6),
    p50: w.p50 / 1000,
    p90: w.p90 / 1000,
    p99: w.p99 / 1000,
    max: w.max / 1000,
    non2xx: w.non2xx,
    errors: w.errors,
  };
}

const ms = (n: number) => n.toFixed(1);
const mb0 = (n: number) => (Number.isNaN(n) ? "-" : n.toFixed(0));
/**
 * Reads the trace's event store once, so the rows measure the API with it in the page cache, as
 * on a machine that has the memory for it. This machine drops cold page cache on its own (DAMON
 * reclaim): after the upload rows, or minutes idle, the store was read from the disk again, and
 * the events rows measured the disk (pages of 160-300 ms at p99, 14% of the API's CPU in reads).
 */
async function warmEventStore(paths: ReturnType<typeof benchPaths>, traceId: string): Promise<void> {
  const [t] = await benchQuery<{ event_store_key: string | null }>(
    paths.databaseUrl,
    "SELECT event_store_key FROM trace WHERE id = $1",
    [traceId],
  );
  if (!t?.event_store_key) return;
  const started = performance.now();
  const reader = await new LocalBlobStore(paths.storageDir).openReader(t.event_store_key);
  try {
    const chunk = new Uint8Array(1 << 23);
    for (let at = 0; at < reader.size; at += chunk.length) await reader.read(at, at + chunk.length, chunk);
  } finally {
    await reader.close();
  }
  console.log(
    `event store of ${traceId} read once into the page cache (${(reader.size / 1e6).toFixed(0)} MB, ${((performance.now() - started) / 1000).toFixed(1)} s)`,
  );
}

/** Each figure's median over runs of the same row (counts summed). */
function median(results: LoadResult[]): LoadResult {
  const mid = (f: (r: LoadResult) => number) => {
    const v = results.map(f).sort((a, b) => a - b);
    const k = v.length >> 1;
    return v.length % 2 ? v[k]! : (v[k - 1]! + v[k]!) / 2;
  };
  return {
    ...results[0]!,
    requests: results.reduce((n, r) => n + r.requests, 0),
    rps: mid((r) => r.rps),
    p50: mid((r) => r.p50),
    p90: mid((r) => r.p90),
    p99: mid((r) => r.p99),
    max: mid((r) => r.max),
    cpuMs: mid((r) => r.cpuMs),
    clientCpuMs: mid((r) => r.clientCpuMs),
    split: "-",
    non2xx: results.reduce((n, r) => n + r.non2xx, 0),
    errors: results.reduce((n, r) => n + r.errors, 0),
  };
}

function row(label: string, r: LoadResult): string {
  return `| ${label} | ${r.requests} | ${r.rps.toFixed(0)} | ${ms(r.p50)} | ${ms(r.p90)} | ${ms(r.p99)} | ${ms(r.max)} | ${Number.isNaN(r.cpuMs) ? "-" : r.cpuMs.toFixed(2)} | ${r.split} | ${r.clientCpuMs.toFixed(2)} | ${r.non2xx} | ${r.errors} |`;
}
const HEAD =
  "| requests of | count | req/s | p50 ms | p90 ms | p99 ms | max ms | API CPU ms/req | CPU split % | load generator CPU ms/req | non-2xx | errors |\n|---|---|---|---|---|---|---|---|---|---|---|---|";

const pick = <T>(list: readonly T[]): T => list[Math.floor(Math.random() * list.length)]!;
/** A row's load generator, named when more than one runs. */
const tag = (g: Generator) => (generators.length > 1 ? ` [${g}]` : "");

/** Search URLs people would share: each filter, some combined, facets always computed. */
async function searchMix(databaseUrl: string): Promise<Record<string, string[]>> {
  const cards = await benchQuery<{
    pci: string;
    code_name: string | null;
    chipset: number | null;
    family: string | null;
  }>(
    databaseUrl,
    `SELECT DISTINCT lpad(to_hex(vendor_id), 4, '0') || ':' || lpad(to_hex(device_id), 4, '0') AS pci,
            code_name, chipset, family FROM trace_card WHERE vendor_id = 4318`,
  );
  const drivers = await benchQuery<{ v: string }>(
    databaseUrl,
    "SELECT DISTINCT driver_version AS v FROM submission WHERE driver_version IS NOT NULL",
  );
  const q = (params: Record<string, string>) => `/api/v1/traces?${new URLSearchParams(params)}`;
  const registers = ["0x000100", "0x001700", "0x009400", "0x002254", "0x610010", "0x000000", "0x400700"];
  const ranges = ["0x001700-0x0017ff", "0x009400-0x00941f", "0x610000-0x61ffff", "0x100c80-0x100cff"];
  return {
    home: [q({})],
    pci: cards.map((c) => q({ pci: c.pci })),
    chipset: cards.flatMap((c) => [
      ...(c.code_name ? [q({ chipset: c.code_name })] : []),
      ...(c.chipset !== null ? [q({ chipset: `0x${c.chipset.toString(16)}` })] : []),
    ]),
    family: [...new Set(cards.map((c) => c.family).filter((f) => f !== null))].flatMap((f) => [
      q({ family: f }),
      q({ family: f, sort: "most_events" }),
    ]),
    driver: drivers.map((d) => q({ driver: d.v })),
    register: [
      ...registers.map((r) => q({ register: r })),
      ...ranges.map((r) => q({ register: r, access: "w" })),
      ...registers.map((r) => q({ register: r, bar: "0", access: "r" })),
    ],
    marker: MARKERS.map((m) => q({ marker: m.split(" ")[0]! })),
    q: ["glxgears", "modeset", "suspend", "GA104", "nouveau", "compute", "hotplug"].map((w) => q({ q: w })),
    combined: cards
      .slice(0, 8)
      .flatMap((c) => [
        q({ pci: c.pci, register: "0x001700", lost: "no" }),
        q({ family: c.family ?? "NVE0", kernel: "6.1", sort: "oldest" }),
        q({ chipset: c.code_name ?? "GK107", driver: "nvidia", marker: "modeset" }),
      ]),
  };
}

interface UploadFigures {
  label: string;
  seconds: number;
  mbPerSecond: number;
  rssBeforeMb: number;
  rssPeakMb: number;
  status: string;
}

/** RSS of a process and its children (the API's primary and its API processes), MB. */
function rssMb(pid: number): number {
  let kb = 0;
  for (const p of withChildren(pid)) {
    const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${p}/status`, "utf8"));
    if (!m) return Number.NaN;
    kb += Number(m[1]);
  }
  return kb / 1024;
}

/** Samples the API's RSS while `work` runs. */
async function withRss<T>(
  pid: number,
  work: () => Promise<T>,
): Promise<{ value: T; before: number; peak: number }> {
  const before = rssMb(pid);
  let peak = before;
  const timer = setInterval(() => {
    peak = Math.max(peak, rssMb(pid));
  }, 20);
  try {
    const value = await work();
    peak = Math.max(peak, rssMb(pid));
    return { value, before, peak };
  } finally {
    clearInterval(timer);
  }
}

function send(
  url: string,
  method: string,
  headers: Record<string, string | number>,
  body?: { file: string; start: number; end: number },
): Promise<{ status: number; headers: Record<string, string | string[] | undefined>; text: string }> {
  return new Promise((resolve, reject) => {
    const req = request(url, { method, headers }, (res) => {
      let text = "";
      res.setEncoding("utf8");
      res.on("data", (d) => (text += d));
      res.on("end", () => resolve({ status: res.statusCode ?? 0, headers: res.headers, text }));
    });
    req.on("error", reject);
    if (!body) {
      req.end();
      return;
    }
    (async () => {
      for await (const chunk of createReadStream(body.file, {
        start: body.start,
        end: body.end - 1,
        highWaterMark: 1 << 20,
      })) {
        if (!req.write(chunk)) await once(req, "drain");
      }
      req.end();
    })().catch(reject);
  });
}

/** A 1 GB file of random bytes, its first 32 bytes made new for every run (so no upload is a duplicate). */
function uploadFile(dir: string, size: number): { path: string; sha256: Promise<string> } {
  const path = join(dir, `upload-${size}.bin`);
  if (!existsSync(path) || statSync(path).size !== size) {
    const fd = openSync(path, "w");
    const block = Buffer.allocUnsafe(1 << 20);
    for (let at = 0; at < size; at += block.length) {
      randomBytes(block.length).copy(block);
      writeSync(fd, block, 0, Math.min(block.length, size - at));
    }
    closeSync(fd);
  }
  const fd = openSync(path, "r+");
  writeSync(fd, randomBytes(32), 0, 32, 0);
  closeSync(fd);
  const sha256 = (async () => {
    const hash = createHash("sha256");
    for await (const chunk of createReadStream(path, { highWaterMark: 1 << 20 })) hash.update(chunk);
    return hash.digest("hex");
  })();
  return { path, sha256 };
}

async function uploads(
  api: { url: string; pid: number },
  dir: string,
  size: number,
  databaseUrl: string,
  storageDir: string,
): Promise<UploadFigures[]> {
  const out: UploadFigures[] = [];
  const created: string[] = [];
  const b64 = (s: string) => Buffer.from(s).toString("base64");
  const tus = async (chunk: number, label: string) => {
    const file = uploadFile(dir, size);
    const sha256 = await file.sha256;
    const r = await withRss(api.pid, async () => {
      const t0 = performance.now();
      const c = await send(`${api.url}/api/v1/uploads`, "POST", {
        "tus-resumable": "1.0.0",
        "upload-length": size,
        "upload-metadata": `sha256 ${b64(sha256)},filename ${b64("bench.bin")}`,
      });
      if (c.status !== 201) throw new Error(`tus create: ${c.status} ${c.text}`);
      const location = String(c.headers.location);
      let last = c;
      for (let at = 0; at < size; at += chunk) {
        const end = Math.min(size, at + chunk);
        last = await send(
          location,
          "PATCH",
          {
            "tus-resumable": "1.0.0",
            "upload-offset": at,
            "content-type": "application/offset+octet-stream",
            "content-length": end - at,
          },
          { file: file.path, start: at, end },
        );
        if (last.status !== 204) throw new Error(`tus PATCH at ${at}: ${last.status} ${last.text}`);
      }
      return { seconds: (performance.now() - t0) / 1000, id: String(last.headers["mmiohub-submission"]) };
    });
    created.push(r.value.id);
    out.push({
      label,
      seconds: r.value.seconds,
      mbPerSecond: size / 1e6 / r.value.seconds,
      rssBeforeMb: r.before,
      rssPeakMb: r.peak,
      status: "204",
    });
  };
  try {
    {
      // The disk's floor in this run: the same bytes read and written into the storage directory
      // with an fsync, no HTTP, no hashing.
      const file = uploadFile(dir, size);
      await file.sha256;
      const copy = join(storageDir, `bench-copy-${process.pid}`);
      const t0 = performance.now();
      await pipeline(createReadStream(file.path, { highWaterMark: 1 << 20 }), createWriteStream(copy));
      const fd = openSync(copy, "r");
      fsyncSync(fd);
      closeSync(fd);
      const seconds = (performance.now() - t0) / 1000;
      await rm(copy, { force: true });
      out.push({
        label: "baseline: file copy into STORAGE_DIR + fsync (no HTTP)",
        seconds,
        mbPerSecond: size / 1e6 / seconds,
        rssBeforeMb: Number.NaN,
        rssPeakMb: Number.NaN,
        status: "-",
      });
    }
    {
      const file = uploadFile(dir, size);
      await file.sha256;
      const r = await withRss(api.pid, async () => {
        const t0 = performance.now();
        const up = await postMultipart(
          api.url,
          { name: "bench.bin", size, stream: () => createReadStream(file.path, { highWaterMark: 1 << 20 }) },
          { description: "api bench upload" },
        );
        return { seconds: (performance.now() - t0) / 1000, up };
      });
      if (r.value.up.body.id) created.push(r.value.up.body.id);
      out.push({
        label: "POST multipart",
        seconds: r.value.seconds,
        mbPerSecond: size / 1e6 / r.value.seconds,
        rssBeforeMb: r.before,
        rssPeakMb: r.peak,
        status: String(r.value.up.status),
      });
    }
    await tus(size, "tus, one PATCH");
    await tus(8 * 1024 * 1024, "tus, 8 MiB PATCHes (agent default)");
  } finally {
    // Leave the prepared database as it was: the submissions and blobs made here go again.
    const rows = await benchQuery<{ archive_sha256: string }>(
      databaseUrl,
      "DELETE FROM submission WHERE id = ANY($1) RETURNING archive_sha256",
      [created],
    );
    await benchQuery(databaseUrl, "DELETE FROM upload WHERE submission_id = ANY($1)", [created]);
    for (const { archive_sha256: key } of rows)
      await rm(join(storageDir, "sha256", key.slice(0, 2), key), { force: true });
  }
  return out;
}

async function main(argv: string[]): Promise<void> {
  const arg = (name: string) => {
    const i = argv.indexOf(name);
    return i >= 0 ? argv[i + 1] : undefined;
  };
  const dir = arg("--dir") ?? "/tmp/mmiohub-api-bench";
  const duration = Number(arg("--duration") ?? "15");
  const repeat = Math.max(1, Number(arg("--repeat") ?? "1"));
  const connections = Number(arg("--connections") ?? "20");
  const only = new Set((arg("--only") ?? "search,events,upload").split(","));
  const paths = benchPaths(dir);
  const t0 = performance.now();
  const prepared: Prepared = await prepare(paths, {
    smallCount: Number(arg("--small") ?? "1000"),
    bigSize: parseSize(arg("--big-size") ?? "860M"),
    intervals: (arg("--intervals") ?? "65536,4096,1024").split(",").map(Number),
  });
  const prepSeconds = (performance.now() - t0) / 1000;
  const counts = await benchQuery<{ traces: string; registers: string; markers: string }>(
    paths.databaseUrl,
    `SELECT (SELECT count(*) FROM trace) AS traces, (SELECT count(*) FROM register_stat) AS registers,
            (SELECT count(*) FROM trace_marker) AS markers`,
  );
  console.log(
    `API benchmark, ${new Date().toISOString()}, load average ${loadavg()
      .map((l) => l.toFixed(2))
      .join(" ")}`,
  );
  console.log(
    `database ${paths.databaseUrl}: ${counts[0]!.traces} traces (${prepared.smallTraces} small ingested, ${prepared.smallFailed} failed; ${prepared.smallIngestSeconds.toFixed(0)} s), ${counts[0]!.registers} register rows, ${counts[0]!.markers} markers; preparation ${prepSeconds.toFixed(0)} s this run`,
  );
  for (const b of prepared.big)
    console.log(
      `big trace ${b.traceId}: ${b.events} events, ${(b.textBytes / 1e6).toFixed(0)} MB text, checkpoint interval ${b.checkpointInterval} (${b.checkpoints} checkpoints): event store ${(b.eventStoreBytes / 1e6).toFixed(1)} MB, upload + ingest ${b.ingestSeconds.toFixed(0)} s`,
    );
  // --api-node-options "--cpu-prof --cpu-prof-dir=/tmp/prof": node flags of the API process alone
  // (given on its command line: NODE_OPTIONS refuses --cpu-prof).
  const nodeArgs = arg("--api-node-options")?.split(" ").filter(Boolean) ?? [];
  const processes = arg("--api-processes") ?? "auto";
  // --load-generator autocannon|wrk|both (default: both when wrk is installed)
  const chosen = arg("--load-generator");
  if (chosen !== undefined && !["autocannon", "wrk", "both"].includes(chosen))
    throw new Error(`--load-generator is autocannon, wrk or both (got ${chosen})`);
  if (chosen === "autocannon" || chosen === "wrk") generators = [chosen];
  if ((chosen === "wrk" || chosen === "both") && !HAVE_WRK)
    throw new Error(
      "wrk or GNU time (/usr/bin/time) is not installed: bash scripts/ensure-system.sh --for-bench installs both",
    );
  if (!HAVE_WRK)
    console.log(
      "wrk or GNU time not installed (bash scripts/ensure-system.sh --for-bench): autocannon rows only",
    );
  const api = await startApiProcess(paths, { API_PROCESSES: processes }, nodeArgs);
  apiPids.set(api.url, api.pid);
  try {
    console.log(
      `API pid ${api.pid} at ${api.url} (API_PROCESSES=${processes}: ${withChildren(api.pid).length - 1 || 1} processes); ${connections} connections, ${duration} s per row`,
    );
    const health = () => "/health";
    const eventsApi = only.has("events") || only.has("events-api");
    const eventsPage = only.has("events") || only.has("events-page");
    if (only.has("search") || eventsApi || eventsPage) {
      await load(api.url, health, connections, 2); // warm-up
      console.log("");
      console.log(HEAD);
      // --no-floor: leaves the floor out (a profile of the API then holds the measured rows alone)
      if (!argv.includes("--no-floor"))
        console.log(row("GET /health (floor)", await load(api.url, health, connections, duration)));
    }
    if (only.has("search")) {
      const mix = await searchMix(paths.databaseUrl);
      const all = Object.values(mix).flat();
      const searches = async (url: string, label: string) => {
        await load(url, () => pick(all), connections, 3);
        for (const g of generators)
          console.log(
            row(
              `search mix (${all.length} URLs)${label}${tag(g)}`,
              await load(url, () => pick(all), connections, duration, g),
            ),
          );
        for (const [kind, urls] of Object.entries(mix))
          console.log(
            row(
              `  search: ${kind} (${urls.length})${label}`,
              await load(url, () => pick(urls), connections, Math.max(3, duration / 3)),
            ),
          );
      };
      await searches(api.url, "");
      // The same URLs with the read caches off: every search runs its queries.
      const uncached = await startApiProcess(paths, { READ_CACHE_ENTRIES: "0", API_PROCESSES: processes });
      apiPids.set(uncached.url, uncached.pid);
      try {
        await searches(uncached.url, ", caches off");
      } finally {
        await uncached.stop();
      }
    }
    if (eventsApi || eventsPage) {
      const rows = arg("--event-intervals")?.split(",").map(Number);
      for (const b of prepared.big) {
        if (rows && !rows.includes(b.checkpointInterval)) continue;
        const offset = () => Math.floor(Math.random() * (b.events - 500));
        const apiPage = () => `/api/v1/traces/${b.traceId}/events?from=${offset()}&limit=500`;
        const webPage = () => {
          const from = offset();
          return `/t/${b.traceId}/e/${from}-${from + 499}`;
        };
        await warmEventStore(paths, b.traceId);
        await load(api.url, eventsApi ? apiPage : webPage, connections, 2);
        // --repeat N: every row N times, in turn, and the median of each figure after them (this
        // machine's speed moves between minutes: one run of a row is one sample of it).
        const runs = new Map<string, LoadResult[]>();
        const measure = async (label: string, path: () => string, g: Generator, r: number) => {
          const result = await load(api.url, path, connections, duration, g);
          console.log(row(repeat > 1 ? `${label} (run ${r})` : label, result));
          runs.set(label, [...(runs.get(label) ?? []), result]);
        };
        for (let r = 1; r <= repeat; r++)
          for (const g of generators) {
            if (eventsApi)
              await measure(
                `events API, 500 at random (interval ${b.checkpointInterval})${tag(g)}`,
                apiPage,
                g,
                r,
              );
            if (eventsPage)
              await measure(
                `sequence page, 500 at random (interval ${b.checkpointInterval})${tag(g)}`,
                webPage,
                g,
                r,
              );
          }
        if (repeat > 1)
          for (const [label, results] of runs)
            console.log(row(`${label}: median of ${repeat} runs`, median(results)));
      }
    }
    if (only.has("upload")) {
      const size = parseSize(arg("--upload-size") ?? "1G");
      console.log("");
      console.log(`upload of ${(size / 1e6).toFixed(0)} MB (random bytes) from this process over loopback`);
      console.log("| upload | seconds | MB/s | API RSS before MB | API RSS peak MB | growth MB | status |");
      console.log("|---|---|---|---|---|---|---|");
      for (const u of await uploads(api, dir, size, paths.databaseUrl, paths.storageDir))
        console.log(
          `| ${u.label} | ${u.seconds.toFixed(2)} | ${u.mbPerSecond.toFixed(0)} | ${mb0(u.rssBeforeMb)} | ${mb0(u.rssPeakMb)} | ${mb0(u.rssPeakMb - u.rssBeforeMb)} | ${u.status} |`,
        );
    }
    console.log("");
    console.log(
      `load average at the end ${loadavg()
        .map((l) => l.toFixed(2))
        .join(" ")}`,
    );
  } finally {
    await api.stop();
  }
}

main(process.argv.slice(2)).catch((err) => {
  console.error(err);
  process.exit(1);
});
