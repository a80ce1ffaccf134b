// Load on loopback, the API and the worker as their own processes (services/*/src/{server,main}.ts):
// `--uploads` clients each upload a 20 MB archive at the same moment, `--rounds` times spread over
// the run, while browsing requests arrive at `--rate` per second (search JSON and page, trace
// page, events JSON and page, submission page) for `--duration` seconds. Then it waits, bounded by
// `--drain` seconds, for the worker to finish every accepted upload. Prints: 5xx per request kind
// (must be 0), uploads accepted / refused / lost, p50/p99 latencies per kind, peak RSS (VmHWM) of
// the API and the worker, and the load average, since the machine may be shared.
//
//   npx tsx bench/src/load.bench.ts [--duration 60] [--rate 200] [--uploads 50] [--rounds 2]
//       [--archive-size 20M] [--seed-traces 20] [--drain 600] [--concurrency 1] [--keep]
//       [--api-processes auto] (the API's API_PROCESSES, as `npm start` runs it)
//
// The archives: a plain tar (no compression) of a small generated trace (20-300 KB of text, its own
// card and markers: bench/src/api-fixtures.ts smallTrace) and a side file of random bytes filling it
// to --archive-size. The side file is larger than MAX_ATTACHMENT_BYTES (16 MiB), so the worker
// reads past it without keeping it: each upload costs the API 20 MB of streaming and hashing, and
// the worker 20 MB of reading plus a small trace to index, which keeps a run bounded on 2 cores.
// Everything lives in a database of its own (mmiohub_load_bench, recreated per run), a queue prefix
// of its own on the running Redis, and /tmp/mmiohub-load-bench (deleted afterwards unless --keep).
// Nothing here asserts a time.

import { execFileSync } from "node:child_process";
import { randomBytes } from "node:crypto";
import { readFileSync } from "node:fs";
import { mkdir, rm } from "node:fs/promises";
import { loadavg } from "node:os";
import { parseArgs } from "node:util";
import { applyMigrations, dropDatabase, ensureDatabase } from "@mmiohub/db";
import autocannon from "autocannon";
import { DEFAULT_CHECKPOINT_INTERVAL } from "../../services/worker/src/index-trace/defaults";
import {
  type BenchPaths,
  benchQuery,
  MARKERS,
  percentile,
  postMultipart,
  type Service,
  smallTrace,
  startApiProcess,
  startWorkerProcess,
  withChildren,
} from "./api-fixtures";
import { parseSize } from "./generate-trace";

const { values: args } = parseArgs({
  options: {
    duration: { type: "string", default: "60" },
    rate: { type: "string", default: "200" },
    uploads: { type: "string", default: "50" },
    rounds: { type: "string", default: "2" },
    "archive-size": { type: "string", default: "20M" },
    "seed-traces": { type: "string", default: "20" },
    drain: { type: "string", default: "600" },
    concurrency: { type: "string", default: "1" },
    "api-processes": { type: "string", default: "auto" },
    dir: { type: "string", default: "/tmp/mmiohub-load-bench" },
    keep: { type: "boolean", default: false },
  },
});
const DURATION = Number(args.duration);
const RATE = Number(args.rate);
const UPLOADS = Number(args.uploads);
const ROUNDS = Number(args.rounds);
const ARCHIVE_SIZE = parseSize(args["archive-size"]);
const SEED_TRACES = Number(args["seed-traces"]);
const DRAIN_S = Number(args.drain);

const databaseUrl =
  process.env.LOAD_BENCH_DATABASE_URL ?? "postgresql://postgres@127.0.0.1:5432/mmiohub_load_bench";
const paths: BenchPaths = {
  dir: args.dir,
  storageDir: `${args.dir}/blobs`,
  databaseUrl,
  queuePrefix: `loadbench${process.pid}`,
};
const log = (line: string) => process.stderr.write(`${line}\n`);
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Peak resident set of a process so far (VmHWM), in MB. */
function peakRssMb(pid: number): number {
  const m = /VmHWM:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, "utf8"));
  return m ? Number(m[1]) / 1024 : Number.NaN;
}

async function recreateDatabase(url: string): Promise<void> {
  await dropDatabase(url);
  await ensureDatabase(url);
  await applyMigrations(url);
}

// ---- the upload archives: a plain tar, written on the fly (never held whole in memory)

function tarHeader(name: string, size: number): Buffer {
  const h = Buffer.alloc(512);
  const put = (text: string, at: number, len: number) => h.write(text.slice(0, len), at, len, "latin1");
  put(name, 0, 100);
  put("0000644\0", 100, 8);
  put("0000000\0", 108, 8);
  put("0000000\0", 116, 8);
  put(`${size.toString(8).padStart(11, "0")}\0`, 124, 12);
  put(
    `${Math.floor(Date.now() / 1000)
      .toString(8)
      .padStart(11, "0")}\0`,
    136,
    12,
  );
  put("        ", 148, 8);
  put("0", 156, 1);
  put("ustar\0", 257, 6);
  put("00", 263, 2);
  let sum = 0;
  for (const b of h) sum += b;
  put(`${sum.toString(8).padStart(6, "0")}\0 `, 148, 8);
  return h;
}
const padTo512 = (n: number) => (512 - (n % 512)) % 512;

function uploadArchive(n: number) {
  const t = smallTrace(10_000 + n);
  const fixed = 512 + t.text.length + padTo512(t.text.length) + 512 + 1024;
  const sideSize = Math.max(0, ARCHIVE_SIZE - fixed - 511);
  const size = fixed + sideSize + padTo512(sideSize);
  function* body(): Generator<Buffer> {
    yield tarHeader("trace.mmiotrace", t.text.length);
    yield t.text;
    yield Buffer.alloc(padTo512(t.text.length));
    yield tarHeader("capture.bin", sideSize);
    for (let left = sideSize; left > 0; left -= 1 << 20) yield randomBytes(Math.min(left, 1 << 20));
    yield Buffer.alloc(padTo512(sideSize) + 1024);
  }
  return {
    archive: { name: `load-${n}.tar`, size, stream: body },
    fields: { description: t.description, metadata: JSON.stringify(t.metadata) },
  };
}

// ---- browsing

interface Targets {
  traces: { id: string; events: number }[];
  submissions: string[];
  codeNames: string[];
  drivers: string[];
}

interface Kind {
  name: string;
  share: number;
  path: (r: () => number) => string;
}

function kinds(t: Targets): Kind[] {
  const pick = <T>(list: T[], r: () => number) => list[Math.floor(r() * list.length)]!;
  const from = (tr: { events: number }, r: () => number) => Math.floor(r() * Math.max(1, tr.events - 500));
  return [
    {
      name: "search JSON",
      share: 0.25,
      path: (r) =>
        [
          `/api/v1/traces?chipset=${pick(t.codeNames, r)}`,
          `/api/v1/traces?driver=${encodeURIComponent(pick(t.drivers, r))}`,
          `/api/v1/traces?q=${encodeURIComponent(pick(MARKERS, r).split(" ")[0]!)}`,
          "/api/v1/traces?sort=most_events&limit=50",
        ][Math.floor(r() * 4)]!,
    },
    {
      name: "search page",
      share: 0.15,
      path: (r) => `/?q=${encodeURIComponent(pick(MARKERS, r).split(" ")[0]!)}`,
    },
    { name: "trace page", share: 0.2, path: (r) => `/t/${pick(t.traces, r).id}` },
    {
      name: "events JSON",
      share: 0.25,
      path: (r) => {
        const tr = pick(t.traces, r);
        return `/api/v1/traces/${tr.id}/events?from=${from(tr, r)}&limit=500`;
      },
    },
    {
      name: "events page",
      share: 0.1,
      path: (r) => {
        const tr = pick(t.traces, r);
        const f = from(tr, r);
        return `/t/${tr.id}/e/${f}-${f + 199}`;
      },
    },
    { name: "submission page", share: 0.05, path: (r) => `/s/${pick(t.submissions, r)}` },
  ];
}

interface KindResult {
  name: string;
  requests: number;
  ok: number;
  status4xx: number;
  status5xx: number;
  errors: number;
  p50: number;
  p99: number;
  max: number;
}

async function browse(
  url: string,
  kind: Kind,
  rate: number,
  seconds: number,
  seed: number,
): Promise<KindResult> {
  let s = seed;
  const r = () => {
    s = (s * 1103515245 + 12345) & 0x7fffffff;
    return s / 0x80000000;
  };
  const latencies: number[] = [];
  let status4xx = 0;
  let status5xx = 0;
  // autocannon's overallRate paces the requests (an open load, not as fast as possible).
  const options = {
    url,
    connections: Math.max(4, Math.ceil(rate / 2)),
    duration: seconds,
    overallRate: rate,
    requests: [{ method: "GET", setupRequest: (req: object) => ({ ...req, path: kind.path(r) }) }],
  };
  const instance = autocannon(options as Parameters<typeof autocannon>[0]);
  instance.on("response", (_client, statusCode, _bytes, responseTime) => {
    latencies.push(responseTime);
    if (statusCode >= 500) status5xx++;
    else if (statusCode >= 400) status4xx++;
  });
  const result = await instance;
  latencies.sort((a, b) => a - b);
  return {
    name: kind.name,
    requests: latencies.length,
    ok: latencies.length - status4xx - status5xx,
    status4xx,
    status5xx,
    // autocannon's `errors` already counts timeouts
    errors: result.errors,
    p50: percentile(latencies, 50),
    p99: percentile(latencies, 99),
    max: latencies[latencies.length - 1] ?? Number.NaN,
  };
}

// ---- the run

interface UploadOutcome {
  n: number;
  status: number;
  id?: string;
  code?: string;
  error?: string;
  ms: number;
}

async function upload(url: string, n: number): Promise<UploadOutcome> {
  const { archive, fields } = uploadArchive(n);
  const t0 = performance.now();
  try {
    const res = await postMultipart(url, archive, fields);
    return { n, status: res.status, id: res.body.id, code: res.body.error?.code, ms: performance.now() - t0 };
  } catch (err) {
    return { n, status: 0, error: (err as Error).message, ms: performance.now() - t0 };
  }
}

async function statusCounts(ids: string[]): Promise<Record<string, number>> {
  const rows = await benchQuery<{ status: string; n: string }>(
    databaseUrl,
    "SELECT status, count(*) AS n FROM submission WHERE id = ANY($1) GROUP BY status",
    [ids],
  );
  return Object.fromEntries(rows.map((r) => [r.status, Number(r.n)]));
}

async function waitProcessed(ids: string[], worker: Service, seconds: number, label: string) {
  const until = Date.now() + seconds * 1000;
  let last = "";
  for (;;) {
    const by = await statusCounts(ids);
    const line = `${label}: ${JSON.stringify(by)}`;
    if (line !== last) log(`  ${line}`);
    last = line;
    if ((by.done ?? 0) + (by.failed ?? 0) === ids.length || Date.now() > until) return by;
    if (worker.child.exitCode !== null) throw new Error(`the worker exited:\n${worker.output()}`);
    await sleep(1000);
  }
}

const fmt = (n: number, d = 1) => (Number.isFinite(n) ? n.toFixed(d) : "-");

async function main() {
  const load0 = loadavg();
  await rm(paths.dir, { recursive: true, force: true });
  await mkdir(paths.storageDir, { recursive: true });
  await recreateDatabase(databaseUrl);
  const api = await startApiProcess(paths, { LOG_LEVEL: "warn", API_PROCESSES: args["api-processes"]! });
  const worker = startWorkerProcess(paths, DEFAULT_CHECKPOINT_INTERVAL, Number(args.concurrency));
  try {
    // Something to browse: small traces through the real upload route and worker.
    log(`seeding ${SEED_TRACES} small traces ...`);
    const seeded: string[] = [];
    for (let i = 0; i < SEED_TRACES; i++) {
      const t = smallTrace(i);
      const up = await postMultipart(
        api.url,
        { name: `seed-${i}.mmiotrace`, size: t.text.length, stream: () => [t.text] },
        { description: t.description, metadata: JSON.stringify(t.metadata) },
      );
      if (!up.body.id) throw new Error(`seed upload ${i} failed: ${JSON.stringify(up.body)}`);
      seeded.push(up.body.id);
    }
    const seededBy = await waitProcessed(seeded, worker, 300, "seed traces");
    if ((seededBy.done ?? 0) !== seeded.length)
      throw new Error(`seeding failed: ${JSON.stringify(seededBy)}`);
    const traces = await benchQuery<{ id: string; event_count: string }>(
      databaseUrl,
      "SELECT id, event_count FROM trace WHERE submission_id = ANY($1)",
      [seeded],
    );
    const cards = await benchQuery<{ code_name: string }>(
      databaseUrl,
      "SELECT DISTINCT code_name FROM trace_card WHERE code_name IS NOT NULL",
    );
    const drivers = await benchQuery<{ v: string }>(
      databaseUrl,
      "SELECT DISTINCT driver_version AS v FROM submission WHERE driver_version IS NOT NULL",
    );
    const targets: Targets = {
      traces: traces.map((t) => ({ id: t.id, events: Number(t.event_count) })),
      submissions: seeded,
      codeNames: cards.map((c) => c.code_name),
      drivers: drivers.map((d) => d.v),
    };

    log(
      `load: ${UPLOADS} concurrent uploads of ${(ARCHIVE_SIZE / 1e6).toFixed(0)} MB x ${ROUNDS} rounds, ${RATE} requests/s of browsing, ${DURATION} s`,
    );
    const t0 = performance.now();
    const browsing = Promise.all(
      kinds(targets).map((k, i) =>
        browse(api.url, k, Math.max(1, Math.round(RATE * k.share)), DURATION, 7 + i),
      ),
    );
    const uploads: UploadOutcome[] = [];
    const rounds = Array.from({ length: ROUNDS }, async (_, round) => {
      await sleep((round * DURATION * 1000) / ROUNDS);
      const wave = await Promise.all(
        Array.from({ length: UPLOADS }, (_, c) => upload(api.url, round * UPLOADS + c)),
      );
      uploads.push(...wave);
    });
    const [browsed] = await Promise.all([browsing, ...rounds]);
    const loadSeconds = (performance.now() - t0) / 1000;
    // Each API process's own peak (VmHWM), the primary's apart when there are several.
    const [primaryPeak, ...apiPeaks] = withChildren(api.pid).map(peakRssMb);
    const apiPeak = apiPeaks.length > 0 ? Math.max(...apiPeaks) : primaryPeak!;

    const accepted = uploads.filter((u) => u.status === 202 && u.id).map((u) => u.id!);
    const tDrain = performance.now();
    const by = await waitProcessed(accepted, worker, DRAIN_S, "uploads");
    const drainSeconds = (performance.now() - tDrain) / 1000;
    const workerPeak = peakRssMb(worker.child.pid!);
    const stored = await benchQuery<{ n: string }>(
      databaseUrl,
      "SELECT count(*) AS n FROM submission WHERE id = ANY($1)",
      [accepted],
    );
    const failedReasons = await benchQuery<{ reason_code: string; n: string }>(
      databaseUrl,
      "SELECT reason_code, count(*) AS n FROM submission WHERE id = ANY($1) AND status = 'failed' GROUP BY reason_code",
      [accepted],
    );
    const load1 = loadavg();

    // ---- report
    const rows = [...browsed];
    const upMs = uploads
      .filter((u) => u.status === 202)
      .map((u) => u.ms)
      .sort((a, b) => a - b);
    const up5xx = uploads.filter((u) => u.status >= 500).length;
    const up4xx = uploads.filter((u) => u.status >= 400 && u.status < 500);
    const upErrors = uploads.filter((u) => u.status === 0);
    const total5xx = rows.reduce((s, r) => s + r.status5xx, 0) + up5xx;
    const lost = accepted.length - (by.done ?? 0) - (by.failed ?? 0);
    console.log(
      `\nload.bench: ${DURATION} s, ${RATE} req/s browsing, ${UPLOADS} concurrent uploads x ${ROUNDS} of ${(ARCHIVE_SIZE / 1e6).toFixed(0)} MB; worker concurrency ${args.concurrency}`,
    );
    console.log(
      `load average at start ${load0.map((l) => l.toFixed(2)).join(" ")}, at end ${load1.map((l) => l.toFixed(2)).join(" ")}`,
    );
    console.log("\nkind              requests   req/s    2xx  4xx  5xx  errors   p50 ms   p99 ms   max ms");
    for (const r of rows)
      console.log(
        `${r.name.padEnd(16)} ${String(r.requests).padStart(9)} ${fmt(r.requests / DURATION).padStart(7)} ${String(r.ok).padStart(6)} ${String(r.status4xx).padStart(4)} ${String(r.status5xx).padStart(4)} ${String(r.errors).padStart(7)} ${fmt(r.p50).padStart(8)} ${fmt(r.p99).padStart(8)} ${fmt(r.max).padStart(8)}`,
      );
    console.log(
      `${`upload ${(ARCHIVE_SIZE / 1e6).toFixed(0)} MB`.padEnd(16)} ${String(uploads.length).padStart(9)} ${fmt(uploads.length / loadSeconds, 2).padStart(7)} ${String(upMs.length).padStart(6)} ${String(up4xx.length).padStart(4)} ${String(up5xx).padStart(4)} ${String(upErrors.length).padStart(7)} ${fmt(percentile(upMs, 50), 0).padStart(8)} ${fmt(percentile(upMs, 99), 0).padStart(8)} ${fmt(upMs[upMs.length - 1] ?? Number.NaN, 0).padStart(8)}`,
    );
    if (up4xx.length) console.log(`  refused uploads: ${JSON.stringify(up4xx.map((u) => u.code))}`);
    if (upErrors.length)
      console.log(`  upload connection errors: ${JSON.stringify(upErrors.slice(0, 5).map((u) => u.error))}`);
    console.log(
      `\nuploads: ${uploads.length} sent, ${accepted.length} accepted (202), ${stored[0]?.n ?? 0} of them stored; after ${fmt(drainSeconds)} s of draining: ${by.done ?? 0} done, ${by.failed ?? 0} failed${failedReasons.length ? ` ${JSON.stringify(failedReasons)}` : ""}, ${lost} not finished`,
    );
    console.log(`lost submissions (accepted, not stored or not finished within ${DRAIN_S} s): ${lost}`);
    console.log(
      `5xx answers: ${total5xx} ${total5xx === 0 ? "(zero-5xx check: ok)" : "(zero-5xx check: FAILED)"}`,
    );
    console.log(
      `peak RSS: API ${fmt(apiPeak)} MB${apiPeaks.length > 0 ? ` per process (${apiPeaks.length} API processes: ${apiPeaks.map((m) => fmt(m)).join(", ")} MB; primary ${fmt(primaryPeak!)} MB)` : ""}, worker ${fmt(workerPeak)} MB`,
    );
  } finally {
    await Promise.allSettled([api.stop(), worker.stop()]);
    // This run's queue keys (its prefix is its own) go in any case.
    const redisUrl = process.env.REDIS_URL ?? "redis://127.0.0.1:6379";
    const keys = execFileSync(
      "redis-cli",
      ["-u", redisUrl, "--scan", "--pattern", `bull:${paths.queuePrefix}-*`],
      {
        encoding: "utf8",
      },
    )
      .split("\n")
      .filter(Boolean);
    for (let i = 0; i < keys.length; i += 500)
      execFileSync("redis-cli", ["-u", redisUrl, "del", ...keys.slice(i, i + 500)], { stdio: "ignore" });
    if (!args.keep) {
      await rm(paths.dir, { recursive: true, force: true });
      await dropDatabase(databaseUrl);
    }
  }
}

await main();
