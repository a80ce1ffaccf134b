import { execFileSync } from "node:child_process";
import { copyFileSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { PassThrough, Readable } from "node:stream";
import { gzipSync } from "node:zlib";
import { afterAll, describe, expect, it } from "vitest";
import { runCli } from "../src/index";
import { annotate, sample, samplePath } from "./helpers";

const dir = mkdtempSync(join(tmpdir(), "mmiohub-annotate-cli-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

async function cli(argv: string[], stdin = ""): Promise<{ code: number; out: string; err: string }> {
  const stdout = new PassThrough();
  const stderr = new PassThrough();
  const outChunks: Buffer[] = [];
  const errChunks: Buffer[] = [];
  stdout.on("data", (c: Buffer) => outChunks.push(c));
  stderr.on("data", (c: Buffer) => errChunks.push(c));
  const code = await runCli(argv, {
    stdin: Readable.from([Buffer.from(stdin)]),
    stdout,
    stderr,
    env: { MMIOHUB_RNNDB: process.env.MMIOHUB_RNNDB },
  });
  return { code, out: Buffer.concat(outChunks).toString(), err: Buffer.concat(errChunks).toString() };
}

describe("mmiohub-annotate", () => {
  const text = sample("gk107_hand.mmiotrace");
  const expected = annotate(text);

  it("reads standard input by default", async () => {
    const r = await cli([], text);
    expect(r).toEqual({ code: 0, out: expected, err: "" });
  });

  it("reads plain, .gz and .xz files with -f", async () => {
    const plain = join(dir, "t.mmiotrace");
    copyFileSync(samplePath("gk107_hand.mmiotrace"), plain);
    writeFileSync(join(dir, "t.mmiotrace.gz"), gzipSync(readFileSync(plain)));
    execFileSync("xz", ["-k", "-6", plain]);
    for (const f of ["t.mmiotrace", "t.mmiotrace.gz", "t.mmiotrace.xz"]) {
      const r = await cli(["-c", "-f", join(dir, f)]);
      expect(r.out, f).toBe(expected);
      expect(r.code).toBe(0);
    }
  });

  it("fails clearly on a corrupt .xz file", async () => {
    const bad = join(dir, "bad.mmiotrace.xz");
    writeFileSync(bad, "not xz at all");
    await expect(cli(["-f", bad])).rejects.toThrow(/xz -dc .* failed/);
  });

  it("keeps the indirect decoders working with a forced chipset", async () => {
    const same = await cli(["-a", "GK107", "-f", samplePath("gk107_hand.mmiotrace")]);
    expect(same.out).toBe(expected);
    const forced = await cli(["-a", "GT215", "-f", samplePath("gk107_hand.mmiotrace")]);
    expect(forced.out).toContain(
      "[0] 100.000200 MMIO32 R 0x000000 0x0e7150a2 PMC.ID => { STEPPING = 0xa2 | DEVICE_ID = 0x2 | CHIPSET = GK107 | FOUNDRY = TSMC | 0x5000 }",
    );
    expect(forced.out).toContain("[0] 100.000290, MEM32 300000 <= deadbeef");
    expect(forced.out).toContain("[0] 100.000320 HEAD0 W     0x1f       0x57 0x1f <= 0x57");
  });

  it("rejects unknown chipsets and arguments with the usage", async () => {
    expect((await cli(["-a", "GX999"])).code).toBe(2);
    const bad = await cli(["--frobnicate"]);
    expect(bad.code).toBe(2);
    expect(bad.err).toMatch(/unknown argument --frobnicate\nusage: mmiohub-annotate/);
  });
});
