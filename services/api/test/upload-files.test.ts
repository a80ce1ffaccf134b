import { randomBytes } from "node:crypto";
import { mkdtemp, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { UploadFiles } from "../src/services/upload-files";

// The part files of resumable uploads, written as a chunk's body arrives: in pieces of any size,
// gathered into larger writes, with what arrived kept when the body is cut.
let root: string;
let files: UploadFiles;
beforeAll(async () => {
  root = await mkdtemp(join(tmpdir(), "mmiohub-upload-files-"));
  files = new UploadFiles(root);
});
afterAll(() => rm(root, { recursive: true, force: true }));

/** `data` in pieces of the given sizes (cycled), then, if asked, a failure. */
async function* pieces(data: Buffer, sizes: number[], fail?: Error) {
  for (let at = 0, k = 0; at < data.length; k++) {
    const n = sizes[k % sizes.length]!;
    yield data.subarray(at, at + n);
    at += n;
    await new Promise((r) => setImmediate(r));
  }
  if (fail) throw fail;
}

let n = 0;
const newUpload = async () => {
  // an upload id: 24 of a-z and 2-9
  const id = `t${"abcdefghjk"[++n % 10]!.repeat(23)}`;
  await files.create(id);
  return id;
};

describe("UploadFiles.write", () => {
  it("writes a body of uneven pieces at its offset, byte for byte", async () => {
    const id = await newUpload();
    const head = randomBytes(1000);
    const body = randomBytes(3 * 1024 * 1024 + 17);
    expect(await files.write(id, 0, head.length, pieces(head, [1000]))).toEqual({ written: 1000 });
    const r = await files.write(id, 1000, body.length, pieces(body, [65_536, 1, 300_000, 7]));
    expect(r).toEqual({ written: body.length });
    expect((await readFile(files.pathOf(id))).equals(Buffer.concat([head, body]))).toBe(true);
  });

  it("a body cut midway keeps every byte that arrived, and says why it stopped", async () => {
    const id = await newUpload();
    const body = randomBytes(2 * 1024 * 1024 + 123);
    const cut = new Error("aborted");
    const r = await files.write(id, 0, 10 * 1024 * 1024, pieces(body, [65_536, 4_000], cut));
    expect(r).toEqual({ written: body.length, error: cut });
    expect((await readFile(files.pathOf(id))).equals(body)).toBe(true);
  });

  it("a body longer than allowed: exactly the allowed bytes land, tooMuch set", async () => {
    const id = await newUpload();
    const body = randomBytes(1_500_000);
    const r = await files.write(id, 0, 1_234_567, pieces(body, [65_536]));
    expect(r).toEqual({ written: 1_234_567, tooMuch: true });
    expect((await readFile(files.pathOf(id))).equals(body.subarray(0, 1_234_567))).toBe(true);
  });
});
