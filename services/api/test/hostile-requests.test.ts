import { execFileSync } from "node:child_process";
import { randomBytes } from "node:crypto";
import { readdir, readFile } from "node:fs/promises";
import { join } from "node:path";
import type { InjectOptions } from "fastify";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { multipart, SHARED, startApi, startWorker, stopProcess, waitProcessed } from "./helpers";
import { privateDatabase } from "./private-database";
import { createRequest, TUS } from "./tus";

// The HTTP half of the hostile corpus (the archive half is services/worker/test/hostile): wrong
// content types, missing or doubled parts, oversized and malformed metadata. Each answers its
// specific 4xx and stores nothing; metadata that lies about the card is kept as a claim and the
// card is identified from the trace itself.
let api: Awaited<ReturnType<typeof startApi>>;
let database: Awaited<ReturnType<typeof privateDatabase>>;
let trace: Buffer;

const archive = () =>
  execFileSync("xz", ["-c", "-0"], {
    input: Buffer.concat([trace, Buffer.from(`MARK 999.000000 ${randomBytes(6).toString("hex")}\n`)]),
  });

const post = (m: ReturnType<typeof multipart>): InjectOptions => ({
  method: "POST",
  url: "/api/v1/submissions",
  ...m,
});

interface Case {
  name: string;
  request: () => InjectOptions;
  status: number;
  code: string;
  /** Words the message must contain, so the client learns what to fix. */
  says: RegExp;
}

const CASES: Case[] = [
  {
    name: "a JSON body to the multipart route",
    request: () => ({
      method: "POST",
      url: "/api/v1/submissions",
      payload: { archive: "AAAA", description: "x" },
    }),
    status: 415,
    code: "UNSUPPORTED_MEDIA_TYPE",
    says: /multipart\/form-data/,
  },
  {
    name: "text/plain to the multipart route",
    request: () => ({
      method: "POST",
      url: "/api/v1/submissions",
      headers: { "content-type": "text/plain" },
      payload: trace.toString(),
    }),
    status: 415,
    code: "UNSUPPORTED_MEDIA_TYPE",
    says: /multipart\/form-data/,
  },
  {
    name: "the raw archive as application/octet-stream",
    request: () => ({
      method: "POST",
      url: "/api/v1/submissions",
      headers: { "content-type": "application/octet-stream" },
      payload: archive(),
    }),
    status: 415,
    code: "UNSUPPORTED_MEDIA_TYPE",
    says: /POST \/api\/v1\/submissions does not take Content-Type application\/octet-stream/,
  },
  {
    name: "multipart without a boundary",
    request: () => ({
      method: "POST",
      url: "/api/v1/submissions",
      headers: { "content-type": "multipart/form-data" },
      payload: "--x\r\n\r\n",
    }),
    status: 400,
    code: "BAD_REQUEST",
    says: /boundary|multipart/i,
  },
  {
    name: "a multipart with no archive part",
    request: () => post(multipart([{ name: "description", value: "where is the file?" }])),
    status: 400,
    code: "ARCHIVE_MISSING",
    says: /archive/,
  },
  {
    name: "two archive parts",
    request: () =>
      post(
        multipart([
          { name: "archive", value: archive(), filename: "a.xz" },
          { name: "archive", value: archive(), filename: "b.xz" },
        ]),
      ),
    status: 400,
    code: "BAD_REQUEST",
    says: /one archive/,
  },
  {
    name: "the file in another field",
    request: () => post(multipart([{ name: "upload", value: archive(), filename: "a.xz" }])),
    status: 400,
    code: "BAD_REQUEST",
    says: /'upload'.*'archive'/,
  },
  {
    name: "the archive as a text field (no file name)",
    request: () => post(multipart([{ name: "archive", value: "not a file" }])),
    status: 400,
    code: "ARCHIVE_MISSING",
    says: /archive/,
  },
  {
    name: "an empty archive",
    request: () => post(multipart([{ name: "archive", value: Buffer.alloc(0), filename: "a.xz" }])),
    status: 400,
    code: "ARCHIVE_EMPTY",
    says: /empty/,
  },
  {
    name: "oversized metadata (300 KiB)",
    request: () =>
      post(
        multipart([
          { name: "archive", value: archive(), filename: "a.xz" },
          { name: "metadata", value: JSON.stringify({ kernel: "6.1", notes: "n".repeat(300 * 1024) }) },
        ]),
      ),
    status: 400,
    code: "METADATA_INVALID",
    says: /metadata: must be at most 256 KiB/,
  },
  {
    name: "a field over the multipart field size limit (600 KiB description)",
    request: () =>
      post(
        multipart([
          { name: "archive", value: archive(), filename: "a.xz" },
          { name: "description", value: "d".repeat(600 * 1024) },
        ]),
      ),
    status: 400,
    code: "METADATA_INVALID",
    says: /description/,
  },
  {
    name: "metadata that is not JSON",
    request: () =>
      post(
        multipart([
          { name: "archive", value: archive(), filename: "a.xz" },
          { name: "metadata", value: "kernel=6.1" },
        ]),
      ),
    status: 400,
    code: "METADATA_INVALID",
    says: /metadata: must be a JSON object/,
  },
  {
    name: "metadata that is a JSON array",
    request: () =>
      post(
        multipart([
          { name: "archive", value: archive(), filename: "a.xz" },
          { name: "metadata", value: "[1,2,3]" },
        ]),
      ),
    status: 400,
    code: "METADATA_INVALID",
    says: /metadata/,
  },
  {
    name: "metadata with wrongly typed known keys",
    request: () =>
      post(
        multipart([
          { name: "archive", value: archive(), filename: "a.xz" },
          { name: "metadata", value: JSON.stringify({ kernel: 6.1, driver: "nvidia", private: "all" }) },
        ]),
      ),
    status: 400,
    code: "METADATA_INVALID",
    says: /metadata\.kernel/,
  },
  {
    name: "too many fields",
    request: () =>
      post(
        multipart([
          { name: "archive", value: archive(), filename: "a.xz" },
          ...Array.from({ length: 40 }, (_, i) => ({ name: `f${i}`, value: "x" })),
        ]),
      ),
    status: 400,
    code: "BAD_REQUEST",
    says: /limit/i,
  },
  {
    name: "tus: metadata that is not key/base64 pairs",
    request: () => ({
      method: "POST",
      url: "/api/v1/uploads",
      headers: { ...TUS, "upload-length": "100", "upload-metadata": "filename <script>,,sha256" },
    }),
    status: 400,
    code: "METADATA_INVALID",
    says: /Upload-Metadata/,
  },
  {
    name: "tus: oversized metadata (300 KiB)",
    request: () => createRequest(archive(), { metadata: JSON.stringify({ n: "n".repeat(300 * 1024) }) }),
    status: 400,
    code: "METADATA_INVALID",
    says: /metadata: must be at most 256 KiB/,
  },
  {
    name: "tus: a chunk sent as multipart",
    request: () => ({
      method: "PATCH",
      url: `/api/v1/uploads/${"a".repeat(24)}`,
      ...multipart([{ name: "archive", value: archive(), filename: "a.xz" }]),
      headers: { ...TUS, "upload-offset": "0", ...multipart([]).headers },
    }),
    status: 415,
    code: "UNSUPPORTED_MEDIA_TYPE",
    says: /offset\+octet-stream/,
  },
];

/** Every blob in the storage directory. */
const blobs = async () =>
  (await readdir(join(api.storageDir, "sha256"), { recursive: true }).catch(() => [] as string[])).filter(
    (f) => f.length > 3,
  );

beforeAll(async () => {
  trace = await readFile(join(SHARED, "samples/gk107_hand.mmiotrace"));
  database = await privateDatabase(`hr${process.pid}`);
  api = await startApi({ DATABASE_URL: database.url, ANON_UPLOAD_LIMIT: "100000" });
});
afterAll(async () => {
  await api?.close();
  await database?.drop();
});

describe(`hostile requests (${CASES.length})`, () => {
  it.each(CASES.map((c) => [c.name, c] as const))("%s", async (_name, c) => {
    const before = {
      submissions: await api.prisma.submission.count(),
      uploads: await api.prisma.upload.count(),
      blobs: await blobs(),
    };
    const res = await api.app.inject(c.request());
    expect(res.statusCode, res.body).toBe(c.status);
    const { error } = res.json() as { error: { code: string; message: string } };
    expect(error.code, error.message).toBe(c.code);
    expect(error.message).toMatch(c.says);
    expect(await api.prisma.submission.count()).toBe(before.submissions);
    // A refused tus creation or chunk leaves no upload row either.
    expect(await api.prisma.upload.count()).toBe(before.uploads);
    expect(await blobs()).toEqual(before.blobs);
  });
});

describe("metadata that lies about the card", () => {
  it("is kept as the uploader's claim; the card comes from the trace, each disagreement a warning", async () => {
    const res = await api.app.inject(
      post(
        multipart([
          { name: "archive", value: archive(), filename: "gk107.mmiotrace.xz" },
          {
            name: "metadata",
            value: JSON.stringify({
              gpus: [{ slot: "0000:02:00.0", pciId: "10de:2684", subsystem: "1043:889d" }],
              driver: { name: "nouveau", version: "1.0" },
              kernel: "6.9.0",
            }),
          },
        ]),
      ),
    );
    expect(res.statusCode, res.body).toBe(202);
    const { id } = res.json() as { id: string };
    const worker = startWorker({
      DATABASE_URL: database.url,
      STORAGE_DIR: api.storageDir,
      QUEUE_PREFIX: api.prefix,
    });
    try {
      const s = await waitProcessed(
        () =>
          api.prisma.submission.findUniqueOrThrow({
            where: { id },
            include: { traces: { include: { cards: true } } },
          }),
        60_000,
        () => `the worker to process it (${worker.output().slice(-1000)})`,
      );
      expect(s.status).toBe("done");
      const t = s.traces[0]!;
      // the trace says GK107 (10de:0fc6) bound to nvidia: that is what is indexed and searchable
      expect(t.cards.map((c) => [c.deviceId, c.codeName])).toEqual([[0x0fc6, "GK107"]]);
      const codes = (t.warnings as { code: string }[]).map((w) => w.code).sort();
      expect(codes).toEqual(["METADATA_DRIVER_MISMATCH", "METADATA_GPU_MISMATCH", "METADATA_GPU_MISSING"]);
      const found = await api.app.inject({ method: "GET", url: "/api/v1/traces?chipset=GK107" });
      expect((found.json() as { traces: { id: string }[] }).traces.map((x) => x.id)).toContain(t.id);
      const claimed = await api.app.inject({ method: "GET", url: "/api/v1/traces?pci=10de:2684" });
      expect((claimed.json() as { traces: unknown[] }).traces).toEqual([]);
    } finally {
      await stopProcess(worker);
    }
  });
});
