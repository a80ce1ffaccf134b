import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { type Check, runChecks } from "../src/commands/doctor-command";
import { loadConfig } from "../src/config";
import { createFakeSystem, type FakeSystem } from "./fake/fake-system";
import { runAgent } from "./run-agent";

let system: FakeSystem | undefined;
afterEach(() => {
  system?.stop();
  system = undefined;
});

function checksOf(fake: FakeSystem, uid = 0, flags: Record<string, string> = {}): Record<string, Check> {
  const config = loadConfig(flags, { ...fake.env, HOME: fake.root });
  return Object.fromEntries(
    runChecks(config, { fix: false, out: fake.root }, uid).map((check) => [check.id, check]),
  );
}

describe("doctor", () => {
  it("passes a machine that is ready", async () => {
    system = createFakeSystem({ cpus: 4 });
    const checks = checksOf(system);
    expect(Object.values(checks).filter((check) => check.status === "fail")).toEqual([]);
    expect(checks.cpus?.message).toContain("cpu1, cpu2, cpu3 will go offline");
    expect(checks.gpu?.message).toBe("GPUs: 0000:01:00.0 [10de:0fc6]");
    expect(checks.buffer?.message).toContain("128000 KiB (now 7 KiB)");
  });

  it("reports each problem of a prepared machine with a fix", async () => {
    system = createFakeSystem({
      tracers: "blk function nop",
      currentTracer: "function",
      modules: ["nvidia", "nvidia_modeset", "nvidia_drm"],
      gpus: [{ slot: "0000:00:02.0", vendor: "8086", device: "3e92", driver: "i915" }],
      memAvailableKb: 100_000,
    });
    writeFileSync(join(system.sysRoot, "devices", "system", "cpu", "cpu2", "online"), "0\n");
    const checks = checksOf(system, 1000);
    expect(checks.root).toMatchObject({ status: "fail", fix: expect.stringContaining("as root") });
    expect(checks.mmiotrace).toMatchObject({
      status: "fail",
      fix: expect.stringContaining("CONFIG_MMIOTRACE=y"),
    });
    expect(checks["tracer-idle"]).toMatchObject({
      status: "fail",
      message: "the tracer 'function' is active",
    });
    expect(checks["driver-unloaded"]).toMatchObject({
      status: "fail",
      message: "already loaded: nvidia, nvidia_modeset, nvidia_drm; its start-up would not be traced",
      fix: expect.stringContaining("rmmod nvidia_drm nvidia_modeset nvidia"),
    });
    expect(checks.cpus).toMatchObject({
      status: "warn",
      message: expect.stringContaining("already offline: cpu2"),
    });
    expect(checks.buffer).toMatchObject({ status: "fail", fix: "pass --buffer-kb 25000" });
    expect(checks.gpu).toMatchObject({
      status: "fail",
      message: "no NVIDIA GPU among: 0000:00:02.0 [8086:3e92] driver i915",
    });
  });

  it("says how to mount tracefs when there is none, and exits 1 from the CLI", async () => {
    system = createFakeSystem({ tracefs: false });
    const result = await runAgent(["doctor", "--out", system.root], system.env);
    expect(result.code).toBe(1);
    expect(result.stdout).toMatch(/\[FAIL\] tracefs: .* is not a tracing directory/);
    expect(result.stdout).toContain("fix: mount -t tracefs nodev /sys/kernel/tracing");
  });
});
