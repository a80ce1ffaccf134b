import { randomBytes } from "node:crypto";
import { mkdtemp, open, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { GatheredWrites } from "../src/gathered-writes";

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), "mmiohub-gathered-"));
});
afterAll(() => rm(dir, { recursive: true, force: true }));

const tick = () => new Promise((r) => setImmediate(r));

describe("GatheredWrites", () => {
  it("lands uneven pieces at the position, byte for byte, in writes of the gathered size", async () => {
    const path = join(dir, "a");
    await writeFile(path, Buffer.alloc(100, 0x61));
    const data = randomBytes(2_500_000);
    const file = await open(path, "r+");
    const writes = new GatheredWrites(file, 100, 64 * 1024);
    for (let at = 0, k = 0; at < data.length; k++) {
      const n = [65_536, 3, 100_000, 17][k % 4]!;
      await writes.add(data.subarray(at, at + n));
      at += n;
      await tick();
    }
    expect(writes.taken).toBe(data.length);
    await writes.flush();
    await file.close();
    expect(writes.written).toBe(data.length);
    expect((await readFile(path)).equals(Buffer.concat([Buffer.alloc(100, 0x61), data]))).toBe(true);
  });

  it("a failed write stops it: thrown to the next add or flush, nothing counted after it, no unhandled rejection", async () => {
    const path = join(dir, "b");
    await writeFile(path, "");
    const file = await open(path, "r"); // every write fails (EBADF)
    const writes = new GatheredWrites(file, 0, 1024);
    await writes.add(Buffer.alloc(2048)); // a write is issued, and fails while nobody awaits it
    await tick();
    await tick();
    const err = await writes.add(Buffer.alloc(2048)).catch((e: NodeJS.ErrnoException) => e);
    expect((err as NodeJS.ErrnoException).code).toBe("EBADF");
    await expect(writes.flush()).rejects.toMatchObject({ code: "EBADF" });
    expect(writes.written).toBe(0);
    await file.close();
    expect((await readFile(path)).length).toBe(0);
  });
});
