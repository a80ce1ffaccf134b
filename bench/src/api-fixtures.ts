// The API benchmark's world: a database of its own, a blob directory, the API and worker as
// separate processes, 1,000 small varied traces and a 20-million-event trace indexed through the
// real upload route and the real worker. Prepared once under /tmp/mmiohub-api-bench and reused.
import { type ChildProcess, spawn } from "node:child_process";
import { once } from "node:events";
import {
  createReadStream,
  createWriteStream,
  existsSync,
  readFileSync,
  statSync,
  writeFileSync,
} from "node:fs";
import { mkdir, rename } from "node:fs/promises";
import { request } from "node:http";
import { createServer } from "node:net";
import { join } from "node:path";
import { gzipSync } from "node:zlib";
import { applyMigrations, ensureDatabase } from "@mmiohub/db";
import pg from "pg";
import { apiProcessCount } from "../../services/api/src/cluster";
import { generateTrace } from "./generate-trace";

export const REPO = new URL("../../", import.meta.url).pathname;
export const RNNDB = process.env.MMIOHUB_RNNDB ?? join(REPO, "../shared/rnndb/envytools");

export interface BenchPaths {
  dir: string;
  storageDir: string;
  databaseUrl: string;
  queuePrefix: string;
}

export function benchPaths(dir: string): BenchPaths {
  return {
    dir,
    storageDir: join(dir, "blobs"),
    databaseUrl:
      process.env.API_BENCH_DATABASE_URL ?? "postgresql://postgres@127.0.0.1:5432/mmiohub_api_bench",
    queuePrefix: "apibench",
  };
}

/** What the preparation produced; saved as prepared.json so re-runs skip it. */
export interface Prepared {
  version: number;
  smallTraces: number;
  smallFailed: number;
  smallIngestSeconds: number;
  /** The big trace, ingested once per checkpoint interval (same events; the first marker differs). */
  big: {
    checkpointInterval: number;
    submissionId: string;
    traceId: string;
    events: number;
    textBytes: number;
    eventStoreBytes: number;
    checkpoints: number;
    ingestSeconds: number;
  }[];
}
const PREPARED_VERSION = 1;

/** The p-th percentile (nearest rank) of ascending `sorted`; NaN when empty. */
export function percentile(sorted: number[], p: number): number {
  if (sorted.length === 0) return Number.NaN;
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)]!;
}

export async function freePort(): Promise<number> {
  const server = createServer();
  server.listen(0, "127.0.0.1");
  await once(server, "listening");
  const port = (server.address() as { port: number }).port;
  server.close();
  await once(server, "close");
  return port;
}

/** A process and its children (the API processes of API_PROCESSES > 1). */
export function withChildren(pid: number): number[] {
  const children = readFileSync(`/proc/${pid}/task/${pid}/children`, "utf8").trim();
  return [pid, ...(children ? children.split(" ").map(Number) : [])];
}

export interface Service {
  child: ChildProcess;
  output: () => string;
  stop: () => Promise<void>;
}

function startService(script: string, env: Record<string, string>, nodeArgs: string[] = []): Service {
  const child = spawn(process.execPath, [...nodeArgs, "--import", "tsx", join(REPO, script)], {
    cwd: REPO,
    env: { ...process.env, ...env },
    stdio: ["ignore", "pipe", "pipe"],
  });
  let output = "";
  const keep = (d: Buffer) => {
    output = (output + d.toString()).slice(-20_000);
  };
  child.stdout?.on("data", keep);
  child.stderr?.on("data", keep);
  return {
    child,
    output: () => output,
    stop: async () => {
      if (child.exitCode !== null || child.signalCode !== null) return;
      const exited = once(child, "exit");
      child.kill("SIGTERM");
      await exited;
    },
  };
}

export function serviceEnv(paths: BenchPaths): Record<string, string> {
  return {
    DATABASE_URL: paths.databaseUrl,
    STORAGE_DIR: paths.storageDir,
    QUEUE_PREFIX: paths.queuePrefix,
    MMIOHUB_RNNDB: RNNDB,
    LOG_LEVEL: "warn",
  };
}

/** The API as its own process (services/api/src/server.ts), so its RSS is its own. */
export async function startApiProcess(
  paths: BenchPaths,
  extra: Record<string, string> = {},
  /** node's own flags for the API process (flags NODE_OPTIONS refuses, such as --cpu-prof) */
  nodeArgs: string[] = [],
): Promise<Service & { url: string; pid: number }> {
  const port = await freePort();
  // API_PROCESSES (a number or "auto"): the server's own processes sharing the port (cluster.ts)
  const api = startService(
    "services/api/src/server.ts",
    {
      ...serviceEnv(paths),
      PORT: String(port),
      ANON_UPLOAD_LIMIT: "1000000",
      MAX_UPLOAD_BYTES: String(4 * 1024 ** 3),
      ...extra,
    },
    nodeArgs,
  );
  const url = `http://127.0.0.1:${port}`;
  for (let i = 0; ; i++) {
    const ok = await fetch(`${url}/health`)
      .then((r) => r.ok)
      .catch(() => false);
    if (ok) break;
    if (api.child.exitCode !== null || i > 300) throw new Error(`API did not start:\n${api.output()}`);
    await new Promise((r) => setTimeout(r, 100));
  }
  // The API processes start one after the other: wait for all of them, so every row has them all.
  const setting = extra.API_PROCESSES ?? process.env.API_PROCESSES ?? "1";
  const want = apiProcessCount(setting === "auto" ? "auto" : Number(setting));
  for (let i = 0; want > 1 && withChildren(api.child.pid!).length < want + 1; i++) {
    if (i > 300)
      throw new Error(`the API has ${withChildren(api.child.pid!).length - 1} of ${want} processes`);
    await new Promise((r) => setTimeout(r, 100));
  }
  return { ...api, url, pid: api.child.pid! };
}

export function startWorkerProcess(paths: BenchPaths, checkpointInterval: number, concurrency = 1): Service {
  return startService("services/worker/src/main.ts", {
    ...serviceEnv(paths),
    CHECKPOINT_INTERVAL: String(checkpointInterval),
    // Blocks no larger than the checkpoint interval (which must be a multiple of the block size).
    EVENT_BLOCK_EVENTS: String(Math.min(4096, checkpointInterval)),
    WORKER_CONCURRENCY: String(concurrency),
  });
}

// Cards of the small traces: PCI device id, chipset (PMC_BOOT_0), so identification has work to do.
const CARDS: [device: number, chipset: number][] = [
  [0x0fc6, 0xe7], // GK107
  [0x0ca3, 0xa3], // GT215
  [0x1f82, 0x167], // TU117
  [0x2484, 0x174], // GA104
  [0x1c82, 0x137], // GP107
  [0x1380, 0x117], // GM107
  [0x0a65, 0xa8], // GT218
  [0x06e4, 0x98], // G98
  [0x1b80, 0x134], // GP104
  [0x2204, 0x172], // GA102
  [0x2684, 0x192], // AD102
  [0x1e07, 0x162], // TU102
  [0x11c0, 0xe6], // GK106
  [0x1180, 0xe4], // GK104
  [0x0dc4, 0xc3], // GF106
  [0x06c0, 0xc0], // GF100
  [0x1401, 0x126], // GM206
  [0x13c2, 0x124], // GM204
  [0x1f08, 0x166], // TU106
  [0x2503, 0x176], // GA106
];
const DRIVERS = [
  ["nvidia", "550.54.14"],
  ["nvidia", "535.129.03"],
  ["nvidia", "470.223.02"],
  ["nvidia", "390.157"],
  ["nvidia", "560.35.03"],
  ["nvidia", "545.29.06"],
  ["nouveau", "1.0.17"],
] as const;
const KERNELS = [
  "6.1.0-13-amd64",
  "6.6.15-arch1-1",
  "5.15.0-91-generic",
  "6.8.0-45-generic",
  "4.19.0-26-amd64",
];
export const MARKERS = [
  "load nvidia.ko",
  "modeset 1920x1080@60",
  "xrandr --output DP-1 --mode 2560x1440",
  "glxgears for 5 seconds",
  "vkcube",
  "suspend and resume",
  "nvidia-smi -q",
  "vbios read",
  "fan speed 60%",
  "hdmi audio on",
  "second head enabled",
  "power state P8 to P0",
];
const TASKS = ["boot to X", "modeset and 3D", "suspend cycle", "compute job", "display hotplug"];

export interface SmallTrace {
  text: Buffer;
  description: string;
  metadata: { kernel: string; driver: { name: string; version: string } };
  codeName: string;
  deviceId: number;
}

const hex = (n: number, w: number) => n.toString(16).padStart(w, "0");

/**
 * Generated text with its card swapped in and a PMC_BOOT_0 read plus marker lines right after the
 * MAP lines of the header (the generator's own card never reads PMC_BOOT_0).
 */
export function withCard(first: Buffer, device: number, chipset: number, markers: string[]): Buffer {
  let text = first.toString("latin1").replace("PCIDEV 0100 10de2484", `PCIDEV 0100 10de${hex(device, 4)}`);
  const anchor = "MAP 100.000000 3 ";
  const at = text.indexOf("\n", text.indexOf(anchor)) + 1;
  if (at <= 0) throw new Error("generated trace header changed: no third MAP line");
  const boot0 = `R 4 100.000000 1 0xf6000000 0x${hex(((chipset << 20) | 0xa1) >>> 0, 8)} 0x0 0\n`;
  const marks = markers.map((m) => `MARK 100.000000 ${m}\n`).join("");
  text = text.slice(0, at) + boot0 + marks + text.slice(at);
  return Buffer.from(text, "latin1");
}

export function smallTrace(i: number): SmallTrace {
  const [device, chipset] = CARDS[i % CARDS.length]!;
  const [driverName, driverVersion] = DRIVERS[(i * 7) % DRIVERS.length]!;
  const kernel = KERNELS[(i * 3) % KERNELS.length]!;
  const size = 20_000 + ((i * 7919) % 280_000);
  const chunks = [...generateTrace({ size, seed: 1000 + i, chunkSize: 1 << 20 })];
  const markers = [MARKERS[i % MARKERS.length]!, MARKERS[(i * 5 + 3) % MARKERS.length]!];
  if (i % 7 === 0) markers.push("Lost 123 events."); // some traces report lost events
  const text = withCard(Buffer.concat(chunks), device, chipset, markers.slice(0, 1 + (i % 3)));
  const codeName = `chip ${hex(chipset, 2)}`;
  return {
    text,
    description: `${driverName} ${driverVersion} on pci 10de:${hex(device, 4)}: ${TASKS[i % TASKS.length]} #${i}`,
    metadata: { kernel, driver: { name: driverName, version: driverVersion } },
    codeName,
    deviceId: device,
  };
}

/** POSTs one archive as multipart/form-data, streaming `body` (a file or buffers); the JSON answer. */
export function postMultipart(
  url: string,
  archive: { name: string; size: number; stream: () => NodeJS.ReadableStream | Iterable<Buffer> },
  fields: Record<string, string>,
): Promise<{ status: number; body: { id?: string; error?: { code: string; message: string } } }> {
  const boundary = `----mmiohubbench${Math.random().toString(16).slice(2)}`;
  const head = Buffer.from(
    Object.entries(fields)
      .map(([k, v]) => `--${boundary}\r\nContent-Disposition: form-data; name="${k}"\r\n\r\n${v}\r\n`)
      .join("") +
      `--${boundary}\r\nContent-Disposition: form-data; name="archive"; filename="${archive.name}"\r\n` +
      "Content-Type: application/octet-stream\r\n\r\n",
  );
  const tail = Buffer.from(`\r\n--${boundary}--\r\n`);
  return new Promise((resolve, reject) => {
    const req = request(
      `${url}/api/v1/submissions`,
      {
        method: "POST",
        headers: {
          "content-type": `multipart/form-data; boundary=${boundary}`,
          "content-length": head.length + archive.size + tail.length,
        },
      },
      (res) => {
        let data = "";
        res.setEncoding("utf8");
        res.on("data", (d) => (data += d));
        res.on("end", () => {
          try {
            resolve({ status: res.statusCode ?? 0, body: JSON.parse(data) });
          } catch {
            reject(new Error(`upload answered ${res.statusCode}: ${data.slice(0, 300)}`));
          }
        });
      },
    );
    req.on("error", reject);
    (async () => {
      req.write(head);
      const source = archive.stream();
      for await (const chunk of source as AsyncIterable<Buffer>) {
        if (!req.write(chunk)) await once(req, "drain");
      }
      req.end(tail);
    })().catch(reject);
  });
}

async function query<T>(databaseUrl: string, sql: string, values: unknown[] = []): Promise<T[]> {
  const client = new pg.Client({ connectionString: databaseUrl });
  await client.connect();
  try {
    return (await client.query(sql, values)).rows as T[];
  } finally {
    await client.end();
  }
}

async function waitIngested(
  databaseUrl: string,
  ids: string[],
  worker: Service,
  label: string,
): Promise<{ done: number; failed: number }> {
  let last = "";
  for (;;) {
    const rows = await query<{ status: string; n: string }>(
      databaseUrl,
      "SELECT status, count(*) AS n FROM submission WHERE id = ANY($1) GROUP BY status",
      [ids],
    );
    const by = Object.fromEntries(rows.map((r) => [r.status, Number(r.n)]));
    const line = `${label}: ${JSON.stringify(by)}`;
    if (line !== last) process.stderr.write(`  ${line}\n`);
    last = line;
    if ((by.done ?? 0) + (by.failed ?? 0) === ids.length)
      return { done: by.done ?? 0, failed: by.failed ?? 0 };
    if (worker.child.exitCode !== null) throw new Error(`worker exited:\n${worker.output()}`);
    await new Promise((r) => setTimeout(r, 1000));
  }
}

/** The 20M-event trace text with the given first marker, generated once under the bench dir. */
async function bigTraceFile(dir: string, size: number, label: string): Promise<string> {
  const path = join(dir, `big-${size}-${label}.mmiotrace`);
  if (existsSync(path)) return path;
  process.stderr.write(`generating ${path} ...\n`);
  const out = createWriteStream(`${path}.tmp`);
  let first = true;
  for (const chunk of generateTrace({ size, seed: 1, chunkSize: 1 << 20 })) {
    const data = first ? withCard(chunk, 0x2484, 0x174, [`bench trace (${label})`]) : chunk;
    first = false;
    if (!out.write(data)) await once(out, "drain");
  }
  out.end();
  await once(out, "close");
  await rename(`${path}.tmp`, path);
  return path;
}

export function loadPrepared(paths: BenchPaths): Prepared | null {
  const file = join(paths.dir, "prepared.json");
  if (!existsSync(file)) return null;
  const p = JSON.parse(readFileSync(file, "utf8")) as Prepared;
  return p.version === PREPARED_VERSION ? p : null;
}

/**
 * Makes the benchmark's database: 1,000 small traces (2-7k events, 20 cards, 7 drivers, 5 kernels,
 * markers) uploaded through POST /api/v1/submissions and ingested by the real worker, then the big
 * trace once per checkpoint interval (the worker restarted with CHECKPOINT_INTERVAL set).
 */
export async function prepare(
  paths: BenchPaths,
  options: { smallCount: number; bigSize: number; intervals: number[] },
): Promise<Prepared> {
  const existing = loadPrepared(paths);
  await ensureDatabase(paths.databaseUrl);
  await applyMigrations(paths.databaseUrl);
  if (existing) {
    const missing = options.intervals.filter((i) => !existing.big.some((b) => b.checkpointInterval === i));
    if (missing.length > 0)
      throw new Error(
        `${paths.dir} was prepared without the big trace of interval ${missing.join(", ")}: pass --intervals ${existing.big.map((b) => b.checkpointInterval).join(",")}, or delete it and its database to prepare again`,
      );
    return existing;
  }
  await mkdir(paths.storageDir, { recursive: true });
  const api = await startApiProcess(paths);
  const prepared: Prepared = {
    version: PREPARED_VERSION,
    smallTraces: 0,
    smallFailed: 0,
    smallIngestSeconds: 0,
    big: [],
  };
  try {
    // Big traces first, each with its own worker configuration.
    for (const interval of options.intervals) {
      const file = await bigTraceFile(paths.dir, options.bigSize, `checkpoint interval ${interval}`);
      const worker = startWorkerProcess(paths, interval);
      try {
        const t0 = performance.now();
        const up = await postMultipart(
          api.url,
          {
            name: "big.mmiotrace",
            size: statSync(file).size,
            stream: () => createReadStream(file, { highWaterMark: 1 << 20 }),
          },
          {
            description: `generated GA104 trace, annotator checkpoints every ${interval} events`,
            metadata: JSON.stringify({
              kernel: "6.1.0-13-amd64",
              driver: { name: "nvidia", version: "550.54.14" },
            }),
          },
        );
        if (!up.body.id) throw new Error(`big upload failed: ${JSON.stringify(up.body)}`);
        const { failed } = await waitIngested(paths.databaseUrl, [up.body.id], worker, `big (${interval})`);
        if (failed) throw new Error(`big trace failed to ingest:\n${worker.output()}`);
        const seconds = (performance.now() - t0) / 1000;
        const [t] = await query<{
          id: string;
          event_count: string;
          text_bytes: string;
          event_store_key: string;
        }>(
          paths.databaseUrl,
          "SELECT id, event_count, text_bytes, event_store_key FROM trace WHERE submission_id = $1",
          [up.body.id],
        );
        const key = t!.event_store_key;
        prepared.big.push({
          checkpointInterval: interval,
          submissionId: up.body.id,
          traceId: t!.id,
          events: Number(t!.event_count),
          textBytes: Number(t!.text_bytes),
          eventStoreBytes: statSync(join(paths.storageDir, "sha256", key.slice(0, 2), key)).size,
          checkpoints: Math.ceil(Number(t!.event_count) / interval),
          ingestSeconds: seconds,
        });
      } finally {
        await worker.stop();
      }
    }
    // The 1,000 small ones, four uploads in flight, one worker with two jobs at a time.
    const worker = startWorkerProcess(paths, options.intervals[options.intervals.length - 1]!, 2);
    try {
      const t0 = performance.now();
      const ids: string[] = [];
      let next = 0;
      const uploader = async () => {
        while (next < options.smallCount) {
          const i = next++;
          const t = smallTrace(i);
          const body = i % 4 === 3 ? t.text : gzipSync(t.text, { level: 1 });
          const up = await postMultipart(
            api.url,
            {
              name: i % 4 === 3 ? `trace-${i}.mmiotrace` : `trace-${i}.mmiotrace.gz`,
              size: body.length,
              stream: () => [body],
            },
            { description: t.description, metadata: JSON.stringify(t.metadata) },
          );
          if (!up.body.id) throw new Error(`upload ${i} failed: ${JSON.stringify(up.body)}`);
          ids.push(up.body.id);
        }
      };
      await Promise.all([uploader(), uploader(), uploader(), uploader()]);
      const { done, failed } = await waitIngested(paths.databaseUrl, ids, worker, "small traces");
      prepared.smallTraces = done;
      prepared.smallFailed = failed;
      prepared.smallIngestSeconds = (performance.now() - t0) / 1000;
    } finally {
      await worker.stop();
    }
  } finally {
    await api.stop();
  }
  await query(paths.databaseUrl, "VACUUM ANALYZE");
  writeFileSync(join(paths.dir, "prepared.json"), `${JSON.stringify(prepared, null, 2)}\n`);
  return prepared;
}

export { query as benchQuery };
