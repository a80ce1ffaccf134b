import { randomBytes } from "node:crypto";
import { mkdtemp, readdir } from "node:fs/promises";
import { request } from "node:http";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createPrisma, type PrismaClient } from "@mmiohub/db";
import { createQueue, redisConnection } from "@mmiohub/jobs";
import type { Queue } from "bullmq";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type ApiProcess, exitOf, loggedRequests, startApiProcess } from "./api-process";
import { waitFor } from "./helpers";
import { privateDatabase } from "./private-database";
import { createRequest, sha256, TUS } from "./tus";

// Real API processes on one database, Redis and storage directory: a resumable upload moves between
// instances; SIGTERM lets in-flight uploads finish, and past SHUTDOWN_GRACE_MS closes them with
// nothing acknowledged lost (a resumable upload keeps what arrived and resumes elsewhere).
let database: Awaited<ReturnType<typeof privateDatabase>>;
let storageDir: string;
let prisma: PrismaClient;
let queue: Queue;
const prefix = `as${process.pid}${Math.random().toString(36).slice(2, 8)}`;
const started: ApiProcess[] = [];

/** Waits until the API process has logged receiving `method url` (its handler is running). */
const seen = (p: ApiProcess, method: string, url: string) =>
  waitFor(
    async () => (loggedRequests(p).some((r) => r.method === method && r.url === url) ? true : undefined),
    20_000,
    () => `the API to receive ${method} ${url} (${p.output().slice(-500)})`,
  );

async function api(extra: Record<string, string> = {}): Promise<ApiProcess> {
  const p = await startApiProcess({
    DATABASE_URL: database.url,
    STORAGE_DIR: storageDir,
    QUEUE_PREFIX: prefix,
    ANON_UPLOAD_LIMIT: "1000",
    ...extra,
  });
  started.push(p);
  return p;
}

interface Answer {
  status?: number;
  headers?: Record<string, string | string[] | undefined>;
  body?: string;
  error?: string;
}

/** A request whose body the test sends piece by piece (an upload in progress over the network). */
function streamingRequest(base: string, method: string, path: string, headers: Record<string, string>) {
  const url = new URL(path, base);
  let answered: (a: Answer) => void = () => {};
  const answer = new Promise<Answer>((resolve) => {
    answered = resolve;
  });
  const req = request({ host: url.hostname, port: url.port, path: url.pathname, method, headers }, (res) => {
    let body = "";
    res.setEncoding("utf8");
    res.on("data", (d) => (body += d));
    res.on("end", () => answered({ status: res.statusCode, headers: res.headers, body }));
    res.on("error", (err) => answered({ error: err.message }));
  });
  req.on("error", (err) => answered({ error: (err as NodeJS.ErrnoException).code ?? err.message }));
  return {
    answer,
    send: (b: Buffer) => new Promise<void>((resolve) => req.write(b, () => resolve())),
    end: (b?: Buffer) => new Promise<void>((resolve) => req.end(b ?? Buffer.alloc(0), () => resolve())),
  };
}

function multipartParts(archive: Buffer, description: string) {
  const boundary = `----mmiohub${randomBytes(8).toString("hex")}`;
  const head = Buffer.from(
    `--${boundary}\r\nContent-Disposition: form-data; name="description"\r\n\r\n${description}\r\n` +
      `--${boundary}\r\nContent-Disposition: form-data; name="archive"; filename="trace.tar.xz"\r\n` +
      "Content-Type: application/octet-stream\r\n\r\n",
  );
  const tail = Buffer.from(`\r\n--${boundary}--\r\n`);
  return {
    head,
    tail,
    headers: {
      "content-type": `multipart/form-data; boundary=${boundary}`,
      "content-length": String(head.length + archive.length + tail.length),
    },
  };
}

async function createTus(base: string, data: Buffer): Promise<string> {
  const { method, url, headers } = createRequest(data);
  const res = await fetch(`${base}${url}`, { method, headers });
  expect(res.status, await res.clone().text()).toBe(201);
  return new URL(res.headers.get("location")!).pathname;
}

const patch = (base: string, path: string, offset: number, body: Buffer) =>
  fetch(`${base}${path}`, {
    method: "PATCH",
    headers: { ...TUS, "upload-offset": String(offset), "content-type": "application/offset+octet-stream" },
    body,
  });
const offsetAt = async (base: string, path: string) =>
  Number((await fetch(`${base}${path}`, { method: "HEAD", headers: TUS })).headers.get("upload-offset"));
const submissionsOf = (data: Buffer) =>
  prisma.submission.findMany({ where: { archiveSha256: sha256(data) } });
const blobExists = async (key: string) =>
  (await readdir(join(storageDir, "sha256", key.slice(0, 2))).catch(() => [] as string[])).includes(key);

beforeAll(async () => {
  database = await privateDatabase(`as${process.pid}`);
  storageDir = await mkdtemp(join(tmpdir(), "mmiohub-api-shutdown-"));
  prisma = createPrisma(database.url, { max: 2 });
  queue = createQueue("ingest", redisConnection(process.env.REDIS_URL!, "producer"), prefix);
});
afterAll(async () => {
  for (const p of started) if (p.exitCode === null && p.signalCode === null) p.kill("SIGKILL");
  await queue.obliterate({ force: true }).catch(() => {});
  await queue.close();
  await prisma.$disconnect();
  await database.drop();
});

describe("API processes", { timeout: 120_000 }, () => {
  it("are stateless: a resumable upload whose chunks alternate between two instances is one submission", async () => {
    const [a, b] = await Promise.all([api(), api()]);
    const data = randomBytes(400_000);
    const path = await createTus(a.base, data);
    const chunk = 100_000;
    let last: Response | undefined;
    for (let i = 0; i < 4; i++) {
      const base = i % 2 ? b.base : a.base;
      const other = i % 2 ? a.base : b.base;
      expect(await offsetAt(other, path)).toBe(i * chunk);
      last = await patch(base, path, i * chunk, data.subarray(i * chunk, (i + 1) * chunk));
      expect(last.status, await last.clone().text()).toBe(204);
      expect(last.headers.get("upload-offset")).toBe(String((i + 1) * chunk));
    }
    const id = last!.headers.get("mmiohub-submission");
    const rows = await submissionsOf(data);
    expect(rows.map((r) => r.id)).toEqual([id]);
    const head = await fetch(`${a.base}${path}`, { method: "HEAD", headers: TUS });
    expect(head.headers.get("mmiohub-submission")).toBe(id);
    expect(await queue.getJob(`ingest-${id}`)).toBeDefined();
    expect(await blobExists(rows[0]!.archiveSha256)).toBe(true);
    a.kill("SIGTERM");
    b.kill("SIGTERM");
    expect([await exitOf(a), await exitOf(b)]).toEqual([0, 0]);
  });

  // API_PROCESSES=2: the primary stops listening, the API process serving the upload finishes it.
  it.each(["1", "2"])(
    "SIGTERM during a multipart upload (API_PROCESSES=%s): the upload completes (202, stored), new connections are refused, exit 0",
    async (processes) => {
      const a = await api({ API_PROCESSES: processes });
      const data = randomBytes(3 << 20);
      const form = multipartParts(data, "sent across a shutdown");
      const upload = streamingRequest(a.base, "POST", "/api/v1/submissions", form.headers);
      await upload.send(form.head);
      await upload.send(data.subarray(0, 1 << 20));
      await seen(a, "POST", "/api/v1/submissions");
      a.kill("SIGTERM");
      await waitFor(
        async () => (a.output().includes("shutting down") ? true : undefined),
        20_000,
        "the shutdown to begin",
      );
      // closing: the listening socket is gone, the in-flight request is still being read
      const refused = await fetch(`${a.base}/health`).then(
        (r) => `status ${r.status}`,
        (err: Error & { cause?: { code?: string } }) => err.cause?.code ?? err.message,
      );
      expect(refused).toBe("ECONNREFUSED");
      await upload.send(data.subarray(1 << 20));
      await upload.end(form.tail);
      const answer = await upload.answer;
      expect(answer.status, answer.body ?? answer.error).toBe(202);
      const { id } = JSON.parse(answer.body!) as { id: string };
      expect(await exitOf(a)).toBe(0);
      const rows = await submissionsOf(data);
      expect(rows.map((r) => [r.id, r.status, r.description])).toEqual([
        [id, "received", "sent across a shutdown"],
      ]);
      expect(await blobExists(rows[0]!.archiveSha256)).toBe(true);
      expect(await queue.getJob(`ingest-${id}`)).toBeDefined();
    },
  );

  it("SIGTERM during a tus chunk: the chunk completes (204) and the next instance finishes the upload", async () => {
    const [a, b] = await Promise.all([api(), api()]);
    const data = randomBytes(2 << 20);
    const path = await createTus(a.base, data);
    const half = 1 << 20;
    const chunk = streamingRequest(a.base, "PATCH", path, {
      ...TUS,
      "upload-offset": "0",
      "content-type": "application/offset+octet-stream",
      "content-length": String(half),
    });
    await chunk.send(data.subarray(0, half / 2));
    await seen(a, "PATCH", path);
    a.kill("SIGTERM");
    await waitFor(
      async () => (a.output().includes("shutting down") ? true : undefined),
      20_000,
      "the shutdown to begin",
    );
    await chunk.end(data.subarray(half / 2, half));
    const answer = await chunk.answer;
    expect(answer.status, answer.body ?? answer.error).toBe(204);
    expect(answer.headers?.["upload-offset"]).toBe(String(half));
    expect(await exitOf(a)).toBe(0);
    expect(await offsetAt(b.base, path)).toBe(half);
    const last = await patch(b.base, path, half, data.subarray(half));
    expect(last.status).toBe(204);
    expect((await submissionsOf(data)).map((r) => r.id)).toEqual([last.headers.get("mmiohub-submission")]);
    b.kill("SIGTERM");
    expect(await exitOf(b)).toBe(0);
  });

  it("past the grace: connections are closed; a cut multipart upload leaves nothing, a cut tus chunk keeps its bytes and resumes elsewhere", async () => {
    const [a, b] = await Promise.all([api({ SHUTDOWN_GRACE_MS: "1000" }), api()]);
    const tusData = randomBytes(2 << 20);
    const path = await createTus(a.base, tusData);
    const chunk = streamingRequest(a.base, "PATCH", path, {
      ...TUS,
      "upload-offset": "0",
      "content-type": "application/offset+octet-stream",
      "content-length": String(tusData.length),
    });
    const sent = 700_001;
    await chunk.send(tusData.subarray(0, sent));
    const formData = randomBytes(2 << 20);
    const form = multipartParts(formData, "never finished");
    const upload = streamingRequest(a.base, "POST", "/api/v1/submissions", form.headers);
    await upload.send(form.head);
    await upload.send(formData.subarray(0, 1 << 20));
    await seen(a, "PATCH", path);
    await seen(a, "POST", "/api/v1/submissions");
    a.kill("SIGTERM");
    // Both clients stall past the grace: the server closes their connections.
    const [tusAnswer, formAnswer] = await Promise.all([chunk.answer, upload.answer]);
    expect(tusAnswer.status).toBeUndefined();
    expect(tusAnswer.error).toMatch(/ECONNRESET|EPIPE|socket hang up/);
    expect(formAnswer.status).toBeUndefined();
    expect(formAnswer.error).toMatch(/ECONNRESET|EPIPE|socket hang up/);
    expect(await exitOf(a)).toBe(0);
    // The multipart upload was never acknowledged and left no submission and no blob.
    expect(await submissionsOf(formData)).toEqual([]);
    expect(await blobExists(sha256(formData))).toBe(false);
    expect(await readdir(join(storageDir, "tmp")).catch(() => [])).toEqual([]);
    // The tus upload kept what arrived; the client asks another instance and resumes from there.
    const offset = await offsetAt(b.base, path);
    expect(offset).toBe(sent);
    const rest = await patch(b.base, path, offset, tusData.subarray(offset));
    expect(rest.status, await rest.clone().text()).toBe(204);
    const rows = await submissionsOf(tusData);
    expect(rows.map((r) => r.id)).toEqual([rest.headers.get("mmiohub-submission")]);
    b.kill("SIGTERM");
    expect(await exitOf(b)).toBe(0);
    // Over the whole file: every stored blob is the archive of a submission, nothing else.
    const blobs = (await readdir(join(storageDir, "sha256"), { recursive: true })).filter(
      (f) => f.length > 3,
    );
    const archives = (await prisma.submission.findMany()).map(
      (r) => `${r.archiveSha256.slice(0, 2)}/${r.archiveSha256}`,
    );
    expect(blobs.sort()).toEqual(archives.sort());
  });
});
