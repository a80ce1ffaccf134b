import { mkdir, mkdtemp, readdir, readFile, utimes, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Readable } from "node:stream";
import { describe, expect, it } from "vitest";
import { LocalBlobStore } from "../src";

describe("LocalBlobStore layout", () => {
  it("writes through tmp/ and renames into sha256/<2>/<key>, leaving no temporary files", async () => {
    const root = await mkdtemp(join(tmpdir(), "mmiohub-blobs-"));
    const store = new LocalBlobStore(root);
    const put = await store.put(Readable.from([Buffer.from("abc")]));
    expect(await readFile(join(root, "sha256", put.key.slice(0, 2), put.key), "utf8")).toBe("abc");
    await store.put(Readable.from([Buffer.alloc(20)]), { maxBytes: 10 }).catch(() => {});
    expect(await readdir(join(root, "tmp"))).toEqual([]);
  });

  it("removes temporary files of writes that never finished, once they are old", async () => {
    const root = await mkdtemp(join(tmpdir(), "mmiohub-blobs-"));
    const store = new LocalBlobStore(root);
    await mkdir(join(root, "tmp"), { recursive: true });
    await writeFile(join(root, "tmp", "killed-mid-put"), "partial");
    await writeFile(join(root, "tmp", "in-flight"), "partial");
    const old = new Date(Date.now() - 3600_000);
    await utimes(join(root, "tmp", "killed-mid-put"), old, old);
    expect(await store.removeStaleTemporaries(600_000)).toBe(1);
    expect(await readdir(join(root, "tmp"))).toEqual(["in-flight"]);
  });
});
