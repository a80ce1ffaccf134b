import { createHash } from "node:crypto";
import { mkdtemp, stat, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Readable } from "node:stream";
import { buffer, text } from "node:stream/consumers";
import S3rver from "s3rver";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { BlobNotFoundError, type BlobStore, BlobTooLargeError, LocalBlobStore, S3BlobStore } from "../src";

// One behaviour, two backends: the same suite runs on a local directory and on a real
// S3-protocol server (s3rver, started here on loopback).
let s3rver: S3rver;
let endpoint = "";
beforeAll(async () => {
  s3rver = new S3rver({
    port: 0,
    address: "127.0.0.1",
    silent: true,
    directory: await mkdtemp(join(tmpdir(), "mmiohub-s3rver-")),
    configureBuckets: [{ name: "blobs", configs: [] }],
  });
  const { port } = await s3rver.run();
  endpoint = `http://127.0.0.1:${port}`;
});
afterAll(async () => s3rver?.close());

const backends: [string, () => Promise<BlobStore>][] = [
  ["local directory", async () => new LocalBlobStore(await mkdtemp(join(tmpdir(), "mmiohub-blobs-")))],
  [
    "S3 (s3rver)",
    async () =>
      new S3BlobStore({
        bucket: "blobs",
        prefix: `run-${Math.random().toString(36).slice(2)}/`,
        partSize: 5 * 1024 * 1024,
        client: {
          endpoint,
          region: "us-east-1",
          forcePathStyle: true,
          credentials: { accessKeyId: "S3RVER", secretAccessKey: "S3RVER" },
        },
      }),
  ],
];

const sha = (b: Buffer | string) => createHash("sha256").update(b).digest("hex");
const all = async (store: BlobStore) => {
  const keys: string[] = [];
  for await (const b of store.list()) {
    expect(Math.abs(b.modifiedAt.getTime() - Date.now())).toBeLessThan(120_000);
    keys.push(b.key);
  }
  return keys;
};

describe.each(backends)("BlobStore on %s", (_name, make) => {
  it("stores by sha256, streams back whole and by range, dedupes", async () => {
    const store = await make();
    const put = await store.put(Readable.from([Buffer.from("hello "), Buffer.from("world")]));
    expect(put).toEqual({ key: sha("hello world"), size: 11, created: true });
    expect(await text(await store.get(put.key))).toBe("hello world");
    expect(await text(await store.get(put.key, { start: 6, end: 8 }))).toBe("wor");
    expect(await text(await store.get(put.key, { start: 6 }))).toBe("world");
    expect(await store.size(put.key)).toBe(11);
    expect((await store.put(Readable.from([Buffer.from("hello world")]))).created).toBe(false);
    expect(await all(store)).toEqual([put.key]);
    await store.delete(put.key);
    expect(await store.size(put.key)).toBeNull();
    expect(await all(store)).toEqual([]);
  });

  it("stores a large object in parts (multipart on S3) byte for byte", async () => {
    const store = await make();
    const big = Buffer.alloc(12 * 1024 * 1024 + 12345);
    for (let i = 0; i < big.length; i += 4096) big.writeUInt32LE(i, i);
    const chunks = Array.from({ length: Math.ceil(big.length / 65536) }, (_, i) =>
      big.subarray(i * 65536, (i + 1) * 65536),
    );
    const put = await store.put(Readable.from(chunks));
    expect(put.key).toBe(sha(big));
    expect(put.size).toBe(big.length);
    const back = await buffer(await store.get(put.key));
    expect(back.equals(big)).toBe(true);
  });

  it("reads byte ranges of one blob through a reader kept open", async () => {
    const store = await make();
    const data = Buffer.from(Array.from({ length: 100_000 }, (_, i) => i % 251));
    const put = await store.put(Readable.from([data]));
    const reader = await store.openReader(put.key);
    try {
      expect(reader.size).toBe(data.length);
      expect((await reader.read(0, 10)).equals(data.subarray(0, 10))).toBe(true);
      expect((await reader.read(99_990, 100_000)).equals(data.subarray(99_990))).toBe(true);
      expect((await reader.read(50_000, 200_000)).equals(data.subarray(50_000))).toBe(true);
      const [a, b] = await Promise.all([reader.read(1000, 5000), reader.read(70_000, 70_001)]);
      expect(a.equals(data.subarray(1000, 5000))).toBe(true);
      expect(b.equals(data.subarray(70_000, 70_001))).toBe(true);
      expect((await reader.read(10, 10)).length).toBe(0);
    } finally {
      await reader.close();
    }
    await expect(store.openReader(sha("missing"))).rejects.toThrow(BlobNotFoundError);
  });

  it("keeps nothing when the limit is exceeded or the source fails", async () => {
    const store = await make();
    await expect(
      store.put(Readable.from([Buffer.alloc(10), Buffer.alloc(10)]), { maxBytes: 15 }),
    ).rejects.toThrow(BlobTooLargeError);
    async function* failing() {
      yield Buffer.from("partial");
      throw new Error("connection reset");
    }
    await expect(store.put(failing())).rejects.toThrow("connection reset");
    expect(await all(store)).toEqual([]);
  });

  it("adopts a finished local file under its already-computed sha256 (multipart on S3), moving it", async () => {
    const store = await make();
    const dir = await mkdtemp(join(tmpdir(), "mmiohub-adopt-"));
    const big = Buffer.alloc(11 * 1024 * 1024 + 77);
    for (let i = 0; i < big.length; i += 4096) big.writeUInt32LE(i ^ 0x5a5a5a5a, i);
    const file = join(dir, "upload.part");
    await writeFile(file, big);
    const adopted = await store.adopt(file, { key: sha(big), size: big.length });
    expect(adopted).toEqual({ key: sha(big), size: big.length, created: true });
    expect(await stat(file).catch(() => null)).toBeNull();
    expect((await buffer(await store.get(adopted.key))).equals(big)).toBe(true);
    expect(await text(await store.get(adopted.key, { start: 4, end: 7 }))).toBe(
      big.subarray(4, 8).toString(),
    );

    // The same bytes again: nothing new is stored and the file is still taken away.
    await writeFile(file, big);
    expect((await store.adopt(file, { key: sha(big), size: big.length })).created).toBe(false);
    expect(await stat(file).catch(() => null)).toBeNull();

    // A small file, a wrong size and a key that is no sha256: refused, nothing stored.
    await writeFile(file, "small blob");
    expect(await store.adopt(file, { key: sha("small blob"), size: 10 })).toEqual({
      key: sha("small blob"),
      size: 10,
      created: true,
    });
    expect(await text(await store.get(sha("small blob")))).toBe("small blob");
    await writeFile(file, "twelve bytes");
    await expect(store.adopt(file, { key: sha("twelve bytes"), size: 13 })).rejects.toThrow("13 bytes");
    await expect(store.adopt(file, { key: "../../etc/passwd", size: 12 })).rejects.toThrow(BlobNotFoundError);
    expect((await all(store)).sort()).toEqual([sha(big), sha("small blob")].sort());
  });

  it("refuses keys that are not sha256 hex, so no path escapes the store", async () => {
    const store = await make();
    await expect(store.get("../../etc/passwd")).rejects.toThrow(BlobNotFoundError);
    await expect(store.delete(`${"a".repeat(63)}/`)).rejects.toThrow(BlobNotFoundError);
    expect(await store.size("../x")).toBeNull();
    await expect(store.get(sha("missing"))).rejects.toThrow(BlobNotFoundError);
  });
});
