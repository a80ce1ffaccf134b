import { execFileSync } from "node:child_process";
import { closeSync, constants, existsSync, openSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { createFakeSystem, type FakeSystem } from "./fake/fake-system";
import { runAgent, startAgent, waitFor } from "./run-agent";

let system: FakeSystem | undefined;
afterEach(() => {
  system?.stop();
  system = undefined;
});

async function started(): Promise<FakeSystem> {
  system = createFakeSystem({ cpus: 3 });
  await system.startKernel();
  return system;
}

function traceText(out: string): string {
  return execFileSync("xz", ["-dc", join(out, "trace.mmiotrace.xz")], { encoding: "utf8" });
}

describe("stopping a recording", () => {
  for (const signal of ["SIGINT", "SIGTERM"] as const) {
    it(`${signal} during record drains, closes the pipe, then sets nop; CPUs come back`, async () => {
      const fake = await started();
      const out = join(fake.root, "rec");
      const agent = startAgent(["record", "--out", out, "--buffer-kb", "2048"], fake.env);
      await waitFor(
        () => fake.kernelLog().includes("trace_pipe opened by a reader"),
        "the agent to open trace_pipe",
      );
      await waitFor(() => agent.output().includes("recording until Ctrl-C"), "recording to start");
      expect(fake.cpuOnline(1)).toBe("0");
      execFileSync("sh", ["-c", fake.driverCommand(50)]);
      agent.child.kill(signal);
      const result = await agent.exit;
      expect(result.code).toBe(0);
      expect(fake.currentTracer()).toBe("nop");
      expect(fake.kernelLog().some((line) => line.startsWith("EBUSY"))).toBe(false);
      expect([fake.cpuOnline(1), fake.cpuOnline(2)]).toEqual(["1", "1"]);
      const lines = traceText(out).trim().split("\n");
      expect(lines.filter((line) => /^[RW] /.test(line))).toHaveLength(51);
      expect(lines.at(-1)).toMatch(/mmiohub: end of recording/);
      expect(JSON.parse(readFileSync(join(out, "recording.json"), "utf8")).stoppedBy).toBe(signal);
    });
  }

  it("Ctrl-C on a terminal (SIGINT to the whole process group) keeps the compressor alive to the end", async () => {
    const fake = await started();
    const out = join(fake.root, "rec");
    const agent = startAgent(["record", "--out", out], fake.env, undefined, true);
    await waitFor(() => agent.output().includes("recording until Ctrl-C"), "recording to start");
    execFileSync("sh", ["-c", fake.driverCommand(20)]);
    process.kill(-(agent.child.pid as number), "SIGINT");
    const result = await agent.exit;
    expect(result.code, result.stderr).toBe(0);
    expect(fake.currentTracer()).toBe("nop");
    const lines = traceText(out).trim().split("\n");
    expect(lines.filter((line) => /^[RW] /.test(line))).toHaveLength(21);
    expect(lines.at(-1)).toMatch(/mmiohub: end of recording/);
  });

  it("SIGTERM while a --run step is running ends the step and still stops cleanly", async () => {
    const fake = await started();
    const out = join(fake.root, "rec");
    const agent = startAgent(["record", "--out", out, "--run", "sleep 30", "--run", "echo never"], fake.env);
    await waitFor(() => agent.output().includes("step 1: sleep 30"), "the step to start");
    agent.child.kill("SIGTERM");
    const result = await agent.exit;
    expect(result.code).toBe(0);
    expect(fake.currentTracer()).toBe("nop");
    const info = JSON.parse(readFileSync(join(out, "recording.json"), "utf8"));
    expect(info.steps).toHaveLength(1);
    expect(info.steps[0].exitCode).not.toBe(0);
  });

  it("a second Ctrl-C stops at once, and the tracer is still left at nop", async () => {
    const fake = await started();
    const out = join(fake.root, "rec");
    const agent = startAgent(["record", "--out", out, "--run", "sleep 30"], fake.env);
    await waitFor(() => agent.output().includes("step 1: sleep 30"), "the step to start");
    // The step ignores SIGTERM only for a moment in real life; here two signals arrive back to back.
    agent.child.kill("SIGINT");
    agent.child.kill("SIGINT");
    const result = await agent.exit;
    expect(result.code === 130 || result.code === 0).toBe(true);
    await waitFor(
      () => fake.currentTracer() === "nop" && fake.cpuOnline(1) === "1",
      "the fake kernel to settle",
    );
    expect(fake.kernelLog().some((line) => line.startsWith("EBUSY"))).toBe(false);
  });

  it("reports lost events, suggests a bigger buffer and exits 3 when nobody can answer", async () => {
    const fake = await started();
    const out = join(fake.root, "rec");
    const result = await runAgent(
      ["record", "--out", out, "--buffer-kb", "4", "--run", fake.driverCommand(5000)],
      fake.env,
    );
    expect(result.code).toBe(3);
    expect(result.stderr).toMatch(/the kernel lost \d+ events/);
    expect(result.stderr).toContain("--buffer-kb 8");
    const info = JSON.parse(readFileSync(join(out, "recording.json"), "utf8"));
    expect(info.lostEvents).toBeGreaterThan(4000);
    expect(traceText(out)).toContain(`MARK 0.000000 Lost ${info.lostEvents} events.`);
    expect(fake.currentTracer()).toBe("nop");
  });

  it("refuses to start while another tracer runs, and leaves it alone", async () => {
    system = createFakeSystem({ currentTracer: "function" });
    const result = await runAgent(
      ["record", "--out", join(system.root, "rec"), "--duration", "1"],
      system.env,
    );
    expect(result.code).toBe(1);
    expect(result.stderr).toContain("the tracer 'function' is already active");
    expect(system.currentTracer()).toBe("function");
    expect(existsSync(join(system.root, "rec", "trace.mmiotrace.xz"))).toBe(false);
  });

  it("refuses to start when the driver is already loaded, unless forced", async () => {
    system = createFakeSystem({ modules: ["nouveau", "drm"] });
    const result = await runAgent(
      ["record", "--out", join(system.root, "rec"), "--duration", "1"],
      system.env,
    );
    expect(result.code).toBe(1);
    expect(result.stderr).toContain("driver already loaded: nouveau");
  });
});

describe("the fake kernel's EBUSY rule", () => {
  it("puts mmiotrace back when nop is written while trace_pipe is open, and accepts nop once it is closed", async () => {
    const fake = await started();
    writeFileSync(join(fake.tracefs, "current_tracer"), "mmiotrace\n");
    await waitFor(() => fake.kernelLog().some((line) => line.startsWith("tracer mmiotrace")), "mmiotrace");
    const fd = openSync(join(fake.tracefs, "trace_pipe"), constants.O_RDONLY | constants.O_NONBLOCK);
    await waitFor(() => fake.kernelLog().includes("trace_pipe opened by a reader"), "the reader");
    writeFileSync(join(fake.tracefs, "current_tracer"), "nop\n");
    await waitFor(() => fake.kernelLog().some((line) => line.startsWith("EBUSY")), "the refusal");
    expect(fake.currentTracer()).toBe("mmiotrace");
    expect(fake.cpuOnline(1)).toBe("0");
    closeSync(fd);
    writeFileSync(join(fake.tracefs, "current_tracer"), "nop\n");
    await waitFor(() => fake.kernelLog().includes("tracer nop, cpus online"), "nop");
    expect(fake.currentTracer()).toBe("nop");
    expect(fake.cpuOnline(1)).toBe("1");
  });
});

describe("mark", () => {
  it("adds a marker from another process while recording, and refuses when nothing records", async () => {
    const fake = await started();
    const idle = await runAgent(["mark", "too early"], fake.env);
    expect(idle.code).toBe(1);
    expect(idle.stderr).toContain("no recording is running");
    const out = join(fake.root, "rec");
    const agent = startAgent(["record", "--out", out], fake.env);
    await waitFor(() => agent.output().includes("recording until Ctrl-C"), "recording to start");
    const marked = await runAgent(["mark", "X", "started"], fake.env);
    expect(marked.code).toBe(0);
    agent.child.kill("SIGTERM");
    await agent.exit;
    expect(traceText(out)).toMatch(/^MARK \d+\.\d{6} X started$/m);
  });
});
