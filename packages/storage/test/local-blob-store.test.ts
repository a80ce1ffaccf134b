import { createHash } from "node:crypto";
import { mkdtemp, readdir, readFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Readable } from "node:stream";
import { text } from "node:stream/consumers";
import { beforeEach, describe, expect, it } from "vitest";
import { BlobNotFoundError, BlobTooLargeError, LocalBlobStore } from "../src";

let root: string;
let store: LocalBlobStore;
beforeEach(async () => {
  root = await mkdtemp(join(tmpdir(), "mmiohub-blobs-"));
  store = new LocalBlobStore(root);
});

const sha = (s: string) => createHash("sha256").update(s).digest("hex");

describe("LocalBlobStore", () => {
  it("stores by sha256, streams back, dedupes", async () => {
    const put = await store.put(Readable.from([Buffer.from("hello "), Buffer.from("world")]));
    expect(put).toEqual({ key: sha("hello world"), size: 11, created: true });
    expect(await text(await store.get(put.key))).toBe("hello world");
    expect(await text(await store.get(put.key, { start: 6, end: 8 }))).toBe("wor");
    expect(await store.size(put.key)).toBe(11);
    const again = await store.put(Readable.from([Buffer.from("hello world")]));
    expect(again.created).toBe(false);
    expect(await readFile(join(root, "sha256", put.key.slice(0, 2), put.key), "utf8")).toBe("hello world");
    const keys: string[] = [];
    for await (const k of store.keys()) keys.push(k);
    expect(keys).toEqual([put.key]);
    expect(await readdir(join(root, "tmp"))).toEqual([]);
  });

  it("aborts over the size limit and leaves nothing behind", async () => {
    await expect(
      store.put(Readable.from([Buffer.alloc(10), Buffer.alloc(10)]), { maxBytes: 15 }),
    ).rejects.toThrow(BlobTooLargeError);
    expect(await readdir(join(root, "tmp"))).toEqual([]);
    const keys: string[] = [];
    for await (const k of store.keys()) keys.push(k);
    expect(keys).toEqual([]);
  });

  it("leaves nothing when the source fails mid-way", async () => {
    async function* failing() {
      yield Buffer.from("partial");
      throw new Error("connection reset");
    }
    await expect(store.put(failing())).rejects.toThrow("connection reset");
    expect(await readdir(join(root, "tmp"))).toEqual([]);
  });

  it("refuses keys that are not sha256 hex, so no path escapes the root", async () => {
    await expect(store.get("../../etc/passwd")).rejects.toThrow(BlobNotFoundError);
    await expect(store.delete(`${"a".repeat(63)}/`)).rejects.toThrow(BlobNotFoundError);
    expect(await store.size("../x")).toBeNull();
    await expect(store.get(sha("missing"))).rejects.toThrow(BlobNotFoundError);
  });
});
