// `npm run test:soak`: uploads while the worker and the API are SIGKILLed or stopped with SIGTERM
// (graceful) and restarted, Redis is flushed and restarted and PostgreSQL is restarted, at random
// moments. Then checks that every
// upload answered 2xx is done exactly once with the rows of a clean run, that failed uploads were
// told so, and that no orphaned blob or half-written trace is left. Runs on a private PostgreSQL and
// Redis. Prints "N passed, N failed" and writes .test-results/soak.json.
import { execFileSync } from "node:child_process";
import { chmodSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { type AddressInfo, createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import pg from "pg";
import { ManagedProcess } from "./managed-process";
import { PrivatePostgres, PrivateRedis } from "./private-services";

const REPO = new URL("../../", import.meta.url).pathname;
const SHARED = process.env.MMIOHUB_SHARED ?? join(REPO, "../shared");
const UPLOADS = Number(process.env.SOAK_UPLOADS ?? 200);
const CONCURRENCY = 4;
/** Uploads are spread over at least this long, so faults land all through them. */
const SPREAD_MS = Number(process.env.SOAK_SPREAD_MS ?? 60_000);
const seed = Number(process.env.SOAK_SEED ?? Date.now() % 100000);
let rand = seed;
const random = () => {
  rand = (rand * 1103515245 + 12345) % 2147483648;
  return rand / 2147483648;
};
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

const started = Date.now();
const work = mkdtempSync(join(tmpdir(), "mmiohub-soak-"));
chmodSync(work, 0o755); // the private PostgreSQL runs as the postgres user
const storageDir = join(work, "blobs");
// Ports the OS says are free now, so a run never collides with another (or a crashed one's leftovers).
async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise((resolve) => server.close(resolve));
  return port;
}
const postgres = new PrivatePostgres(join(work, "pg"), await freePort());
const redis = new PrivateRedis(await freePort());
const apiPort = await freePort();
const base = `http://127.0.0.1:${apiPort}`;

const checks: { name: string; ok: boolean; detail: string }[] = [];
const check = (name: string, ok: boolean, detail = "") => {
  checks.push({ name, ok, detail });
  console.log(`${ok ? "ok  " : "FAIL"} ${name}${detail ? ` — ${detail}` : ""}`);
};

// ---- archives: the edu trace, each with a marker of its own so every archive is distinct
const edu = readFileSync(join(SHARED, "samples/edu-qemu.mmiotrace"), "utf8");
function archive(n: number): Buffer {
  // The same length for every n, so every trace has the byte count of the reference.
  const label = String(n).padStart(5, "0");
  const text = edu.replace(
    "MARK 4.923608 edu_mmio: before insmod",
    `MARK 4.900000 soak upload ${label}\nMARK 4.923608 edu_mmio: before insmod`,
  );
  return execFileSync("xz", ["-c", "-1"], { input: Buffer.from(text) });
}

async function upload(bytes: Buffer, n: number) {
  const form = new FormData();
  form.append("archive", new Blob([bytes]), `soak-${n}.mmiotrace.xz`);
  form.append("description", `soak upload ${n}`);
  const res = await fetch(`${base}/api/v1/submissions`, {
    method: "POST",
    body: form,
    signal: AbortSignal.timeout(20_000),
  });
  const body = (await res.json().catch(() => ({}))) as { id?: string; error?: { message?: string } };
  return { status: res.status, id: body.id, message: body.error?.message };
}

const env = {
  DATABASE_URL: postgres.url,
  REDIS_URL: redis.url,
  STORAGE_DIR: storageDir,
  PORT: String(apiPort),
  LOG_LEVEL: "warn",
  SWEEP_INTERVAL_MS: "2000",
  STALE_AFTER_MS: "4000",
  MAX_ATTEMPTS: "20",
  BLOB_GC_GRACE_MS: "5000",
  // The soak is one client sending hundreds of anonymous uploads: not what the limit is for.
  ANON_UPLOAD_LIMIT: "1000000",
  BLOB_GC_INTERVAL_MS: "2000",
  // Graceful stops (SIGTERM faults) stay short: in-flight work gets 3 s, then is handed back.
  SHUTDOWN_GRACE_MS: "3000",
};
mkdirSync(join(REPO, ".test-results"), { recursive: true });
const api = new ManagedProcess("api", "services/api/src/server.ts", env, join(work, "api.log"), REPO);
const worker = new ManagedProcess(
  "worker",
  "services/worker/src/main.ts",
  env,
  join(work, "worker.log"),
  REPO,
);

const FAULT_KINDS = [
  "kill-worker",
  "sigterm-worker",
  "kill-api",
  "sigterm-api",
  "flush-redis",
  "restart-redis",
  "restart-postgres",
] as const;

async function waitHealthy(timeoutMs = 30_000) {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    try {
      if ((await fetch(`${base}/health`, { signal: AbortSignal.timeout(2000) })).status === 200) return true;
    } catch {
      /* not up yet */
    }
    await sleep(200);
  }
  return false;
}
async function ensureUp(p: ManagedProcess) {
  if (!p.running) p.start();
}

async function main() {
  postgres.init();
  await redis.start();
  execFileSync(process.execPath, ["--import", "tsx", "packages/db/src/cli/migrate.ts"], {
    cwd: REPO,
    env: { ...process.env, ...env },
    stdio: "ignore",
  });
  api.start();
  worker.start();
  check("services start", await waitHealthy(120_000), "API /health 200 on a private PostgreSQL and Redis");

  // A clean run of one archive is the reference for the rows every other upload must end with.
  const reference = await upload(archive(99999), 99999);
  const db = new pg.Pool({ connectionString: postgres.url, max: 4 });
  // Idle connections die with every PostgreSQL restart the soak causes; the pool reconnects.
  db.on("error", () => {});
  const shape = async (id: string) => {
    const { rows } = await db.query(
      `SELECT s.status, t.record_counts, t.line_count, t.text_bytes,
              (SELECT json_agg(json_build_object('p', d.position, 'v', d.vendor_id, 'd', d.device_id, 'drv', d.driver) ORDER BY d.position)
                 FROM trace_device d WHERE d.trace_id = t.id) AS devices,
              (SELECT count(*) FROM trace t2 WHERE t2.submission_id = s.id) AS traces
         FROM submission s LEFT JOIN trace t ON t.submission_id = s.id WHERE s.id = $1`,
      [id],
    );
    return rows;
  };
  let refShape: unknown;
  for (let i = 0; i < 300 && reference.id; i++) {
    const rows = await shape(reference.id);
    if (rows[0]?.status === "done") {
      refShape = rows;
      break;
    }
    await sleep(200);
  }
  check(
    "reference upload processed cleanly",
    !!refShape,
    JSON.stringify(refShape ?? reference).slice(0, 200),
  );

  // ---- uploads and faults, concurrently
  const archives = Array.from({ length: UPLOADS }, (_, n) => archive(n));
  const accepted = new Map<number, string>(); // upload number -> submission id
  const toldError: { n: number; status: number | string; message?: string }[] = [];
  const unavailable: string[] = [];
  let next = 0;
  let uploadsDone = false;
  const pause = (SPREAD_MS * CONCURRENCY) / UPLOADS;
  const uploader = async () => {
    while (next < archives.length) {
      const n = next++;
      await sleep(pause * (0.5 + random()));
      for (let attempt = 1; ; attempt++) {
        try {
          const r = await upload(archives[n]!, n);
          if (r.status === 202 || r.status === 200) {
            accepted.set(n, r.id!);
            break;
          }
          toldError.push({ n, status: r.status, message: r.message });
          if (r.status === 503 && r.message) unavailable.push(r.message);
        } catch (err) {
          toldError.push({ n, status: (err as Error).name });
        }
        if (attempt >= 8) break;
        await sleep(300 * attempt);
      }
    }
  };
  const faults: Record<string, number> = {};
  // After each fault the injector waits until the service is whole again (restarting a process that
  // died at start-up because Redis or PostgreSQL was away), then a moment, so uploads keep flowing.
  const recover = async () => {
    const deadline = Date.now() + 90_000;
    while (Date.now() < deadline) {
      await ensureUp(api);
      await ensureUp(worker);
      if (await waitHealthy(3_000)) return;
    }
  };
  const injector = async () => {
    const kinds = FAULT_KINDS;
    let i = Math.floor(random() * kinds.length);
    // Until the uploads are over, and in any case until every kind of fault happened once.
    const allKinds = () => kinds.every((k) => (faults[k] ?? 0) > 0);
    while (!uploadsDone || !allKinds()) {
      await sleep(500 + random() * 1500);
      const kind = kinds[i++ % kinds.length]!;
      faults[kind] = (faults[kind] ?? 0) + 1;
      if (kind === "kill-worker") {
        await worker.kill("SIGKILL");
        await sleep(random() * 1000);
      } else if (kind === "sigterm-worker" || kind === "sigterm-api") {
        // A graceful stop (a deployment): SIGTERM, and the process exits by itself within its grace.
        await (kind === "sigterm-worker" ? worker : api).kill("SIGTERM");
      } else if (kind === "kill-api") {
        await api.kill("SIGKILL");
        await sleep(random() * 1000);
      } else if (kind === "flush-redis") {
        redis.flush();
      } else if (kind === "restart-redis") {
        await redis.stop();
        await sleep(500 + random() * 1000);
        await redis.start();
      } else {
        postgres.restart();
      }
      await recover();
    }
  };
  const inj = injector();
  await Promise.all(Array.from({ length: CONCURRENCY }, uploader));
  uploadsDone = true;
  await inj;
  await ensureUp(api);
  await ensureUp(worker);
  const healthy = await waitHealthy(60_000);
  const health = await fetch(`${base}/health`).then(
    (r) => r.text(),
    (e: Error) => e.message,
  );
  check("service healthy again after the faults", healthy, health);
  const faultCount = Object.values(faults).reduce((a, b) => a + b, 0);
  check(
    "every kind of fault was injected",
    FAULT_KINDS.every((k) => (faults[k] ?? 0) > 0),
    JSON.stringify(faults),
  );

  // ---- outages on purpose: requests during them get 503 with a clear message, and the API
  // recovers by itself once the service is back (no restart of the API).
  const probe = async (path: string) => {
    const res = await fetch(`${base}${path}`, { signal: AbortSignal.timeout(15_000) });
    return { status: res.status, body: await res.text() };
  };
  const someId = [...accepted.values()][0] ?? reference.id ?? "none";
  const apiStartsBefore = api.starts;
  postgres.stop();
  const dbDown = await probe(`/api/v1/submissions/${someId}`).catch((e: Error) => ({
    status: 0,
    body: e.message,
  }));
  const healthDbDown = await probe("/health").catch((e: Error) => ({ status: 0, body: e.message }));
  postgres.start();
  let dbBack = { status: 0, body: "" };
  for (let i = 0; i < 60 && dbBack.status !== 200; i++) {
    await sleep(500);
    dbBack = await probe(`/api/v1/submissions/${someId}`).catch((e: Error) => ({
      status: 0,
      body: e.message,
    }));
  }
  check(
    "PostgreSQL down: 503 with a clear message, then recovery without a restart",
    dbDown.status === 503 &&
      /unavailable/.test(dbDown.body) &&
      healthDbDown.status === 503 &&
      dbBack.status === 200 &&
      api.starts === apiStartsBefore,
    `during: ${dbDown.status} ${dbDown.body.slice(0, 160)}; /health ${healthDbDown.status}; after: ${dbBack.status}`,
  );
  await redis.stop();
  const healthRedisDown = await probe("/health").catch((e: Error) => ({ status: 0, body: e.message }));
  // An upload while Redis is away is still acknowledged: the row is the promise, the sweep enqueues it.
  const duringRedis = await upload(archive(99998), 99998).catch((e: Error) => ({
    status: 0,
    id: undefined,
    message: e.message,
  }));
  if (duringRedis.id) accepted.set(99998, duringRedis.id);
  await redis.start();
  let redisBack = 0;
  for (let i = 0; i < 60 && redisBack !== 200; i++) {
    await sleep(500);
    redisBack = (await probe("/health").catch(() => ({ status: 0 }))).status;
  }
  check(
    "Redis down: /health 503 naming Redis, uploads still acknowledged, recovery without a restart",
    healthRedisDown.status === 503 &&
      /"redis":\{"ok":false/.test(healthRedisDown.body) &&
      duringRedis.status === 202 &&
      redisBack === 200 &&
      api.starts === apiStartsBefore,
    `/health during: ${healthRedisDown.status} ${healthRedisDown.body.slice(0, 160)}; upload during: ${duringRedis.status}; /health after: ${redisBack}`,
  );

  // ---- drain: every accepted submission must finish
  const ids = [...new Set(accepted.values())];
  const deadline = Date.now() + 180_000;
  let pending = ids.length;
  while (Date.now() < deadline) {
    const { rows } = await db.query(
      `SELECT count(*)::int AS n FROM submission WHERE id = ANY($1) AND status NOT IN ('done','failed')`,
      [ids],
    );
    pending = rows[0].n;
    if (pending === 0) break;
    await sleep(500);
  }
  check("every accepted upload finished", pending === 0, `${ids.length} accepted, ${pending} unfinished`);
  const { rows: states } = await db.query(
    `SELECT status, count(*)::int AS n FROM submission WHERE id = ANY($1) GROUP BY status`,
    [ids],
  );
  const done = states.find((r) => r.status === "done")?.n ?? 0;
  check(
    "every accepted upload is done (none lost, none failed)",
    done === ids.length,
    JSON.stringify(states),
  );
  check(
    "one submission per distinct archive (no duplicates)",
    ids.length === accepted.size,
    `${accepted.size} uploads accepted -> ${ids.length} submissions`,
  );

  let same = 0;
  const differing: string[] = [];
  for (const id of ids) {
    const s = JSON.stringify(await shape(id));
    if (s === JSON.stringify(refShape)) same++;
    else if (differing.length < 3) differing.push(`${id}: ${s.slice(0, 300)}`);
  }
  check(
    "rows identical to the clean run (exactly one trace, same counts and devices)",
    same === ids.length,
    differing.join(" | "),
  );

  const { rows: orphanTraces } = await db.query(
    `SELECT count(*)::int AS n FROM trace t JOIN submission s ON s.id = t.submission_id WHERE s.status <> 'done'`,
  );
  check(
    "no half-written traces (traces only under done submissions)",
    orphanTraces[0].n === 0,
    `${orphanTraces[0].n} found`,
  );
  // Blobs left by a process killed between writing a blob and committing its row are collected
  // by the worker once older than its grace period (5 s here).
  await sleep(8000);
  const { rows: known } = await db.query(
    `SELECT archive_sha256 AS k FROM submission UNION SELECT event_store_key FROM trace WHERE event_store_key IS NOT NULL
     UNION SELECT jsonb_path_query(notes, 'strict $.**.key') #>> '{}' FROM submission`,
  );
  const knownKeys = new Set(known.map((r) => r.k));
  const blobs = execFileSync("find", [join(storageDir, "sha256"), "-type", "f"], { encoding: "utf8" })
    .trim()
    .split("\n")
    .filter(Boolean);
  const orphans = blobs.filter((b) => !knownKeys.has(b.split("/").pop()));
  check("no orphaned blobs", orphans.length === 0, `${blobs.length} blobs, ${orphans.length} unreferenced`);
  const tmpLeft = execFileSync("find", [join(storageDir, "tmp"), "-type", "f"], { encoding: "utf8" })
    .trim()
    .split("\n")
    .filter(Boolean);
  check("no partial files left in storage/tmp", tmpLeft.length === 0, `${tmpLeft.length} left`);

  const notAccepted = new Set(toldError.map((e) => e.n).filter((n) => !accepted.has(n)));
  check(
    "uploads that were not accepted got an error answer",
    [...notAccepted].every((n) => toldError.some((e) => e.n === n)),
    `${notAccepted.size} uploads never accepted after retries; ${toldError.length} error answers in all: ${JSON.stringify(
      toldError.reduce<Record<string, number>>((acc, e) => {
        acc[String(e.status)] = (acc[String(e.status)] ?? 0) + 1;
        return acc;
      }, {}),
    )}`,
  );
  check(
    "every 503 answered during the faults had a clear message",
    unavailable.every((m) => /unavailable/.test(m)),
    `${unavailable.length} answers 503${unavailable[0] ? `: "${unavailable[0]}"` : ""}`,
  );
  await db.end();
  console.log(
    `soak: seed ${seed}, ${UPLOADS} uploads, ${accepted.size} accepted, ${faultCount} faults injected ${JSON.stringify(faults)}, ` +
      `${ids.length - done} lost, API started ${api.starts}x, worker ${worker.starts}x, ${((Date.now() - started) / 1000).toFixed(0)} s`,
  );
}

let failedHard = false;
try {
  await main();
} catch (err) {
  failedHard = true;
  check("soak ran to the end", false, String((err as Error).stack ?? err).slice(0, 500));
} finally {
  await api.kill("SIGKILL").catch(() => {});
  await worker.kill("SIGKILL").catch(() => {});
  api.close();
  worker.close();
  await redis.stop().catch(() => {});
  postgres.stop();
}
const passed = checks.filter((c) => c.ok).length;
const failed = checks.length - passed;
writeFileSync(join(REPO, ".test-results/soak.json"), JSON.stringify({ passed, failed, checks }, null, 2));
if (failed === 0 && !process.env.SOAK_KEEP) rmSync(work, { recursive: true, force: true });
else console.log(`soak: logs kept in ${work}`);
console.log(`${passed} passed, ${failed} failed`);
process.exit(failed === 0 && !failedHard ? 0 : 1);
