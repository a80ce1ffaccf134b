import { execFileSync } from "node:child_process";
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { createFakeSystem, type FakeSystem } from "./fake/fake-system";
import { runAgent } from "./run-agent";

let system: FakeSystem | undefined;
afterEach(() => {
  system?.stop();
  system = undefined;
});

describe("record -> collect -> pack without an xz program", () => {
  it("stores the trace as valid .xz and packs an ordinary .tar.xz from it", async () => {
    system = createFakeSystem();
    await system.startKernel();
    const out = join(system.root, "rec");
    const env = { ...system.env, MMIOHUB_XZ: "store" };
    const recorded = await runAgent(["record", "--out", out, "--run", system.driverCommand(100)], env);
    expect(recorded.code, recorded.stderr).toBe(0);
    expect(recorded.stdout).toContain("compressor: in-process .xz, stored (no xz program)");
    const described = await runAgent(["collect", "--dir", out, "--description", "edu"], env);
    expect(described.code, described.stderr).toBe(0);
    const packed = await runAgent(["pack", "--dir", out], env);
    expect(packed.code, packed.stderr).toBe(0);
    const archive = readdirSync(out).find((name) => name.endsWith(".tar.xz"));
    expect(archive).toMatch(/^10de-0fc6_NVE0-GK107_\d{8}-\d{4}\.tar\.xz$/);
    const path = join(out, archive!);
    const listing = execFileSync("tar", ["-tvJf", path], { encoding: "utf8" }).trim().split("\n");
    expect(listing.map((line) => line.split(/\s+/).pop())).toEqual([
      "metadata.json",
      "description.txt",
      "trace.mmiotrace",
    ]);
    const trace = execFileSync("tar", ["-xOJf", path, "trace.mmiotrace"]);
    expect(trace.equals(execFileSync("xz", ["-dc", join(out, "trace.mmiotrace.xz")]))).toBe(true);
    expect(execFileSync("tar", ["-xOJf", path, "description.txt"], { encoding: "utf8" })).toBe("edu\n");
    // Store mode: the archive is about as big as what it holds.
    const info = JSON.parse(readFileSync(join(out, "recording.json"), "utf8"));
    const sidecar = JSON.parse(readFileSync(`${path}.json`, "utf8"));
    expect(sidecar.size).toBeGreaterThan(info.textBytes);
    expect(sidecar.sha256).toBe(execFileSync("sha256sum", [path], { encoding: "utf8" }).split(" ")[0]);
  });
});
