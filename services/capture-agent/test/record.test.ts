import { execFileSync } from "node:child_process";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { createFakeSystem, type FakeSystem } from "./fake/fake-system";
import { runAgent } from "./run-agent";

let system: FakeSystem | undefined;
afterEach(() => {
  system?.stop();
  system = undefined;
});

describe("record against the fake kernel", () => {
  it("records steps between markers, stops in the kernel's order and leaves the tracer at nop", async () => {
    system = createFakeSystem({ cpus: 4 });
    await system.startKernel();
    const out = join(system.root, "rec");
    const result = await runAgent(
      ["record", "--out", out, "--buffer-kb", "4096", "--run", system.driverCommand(300), "--run", "true"],
      system.env,
    );
    const context = `${result.stdout}\n${result.stderr}\n${system.kernelLog().join("\n")}`;
    expect(result.stderr, context).not.toMatch(/lost/i);
    expect(result.code, context).toBe(0);
    const text = execFileSync("xz", ["-dc", join(out, "trace.mmiotrace.xz")], { encoding: "utf8" });
    const lines = text.trim().split("\n");
    expect(lines[0], context).toBe("VERSION 20070824");
    expect(lines.filter((line) => line.startsWith("PCIDEV "))).toHaveLength(2);
    const marks = lines
      .filter((line) => line.startsWith("MARK "))
      .map((line) => line.split(" ").slice(2).join(" "));
    expect(marks[0]).toMatch(/^mmiohub: recording started [0-9a-f]{8}$/);
    expect(marks.slice(1, 5)).toEqual([
      `mmiohub: step 1 begin: ${system.driverCommand(300)}`,
      "mmiohub: step 1 end: exit 0",
      "mmiohub: step 2 begin: true",
      "mmiohub: step 2 end: exit 0",
    ]);
    expect(marks[5]).toBe(marks[0]!.replace("recording started", "end of recording"));
    // The 300 accesses (plus the MAP and the PMC_BOOT_0 read) sit between the markers of step 1.
    const begin = lines.findIndex((line) => line.includes("step 1 begin"));
    const end = lines.findIndex((line) => line.includes("step 1 end"));
    expect(
      lines.slice(begin + 1, end).filter((line) => /^[RW] /.test(line)),
      context,
    ).toHaveLength(301);

    const info = JSON.parse(readFileSync(join(out, "recording.json"), "utf8"));
    expect(info).toMatchObject({
      lines: lines.length,
      textBytes: Buffer.byteLength(text),
      lostEvents: 0,
      versionSeen: true,
      pciDevices: 2,
      bufferKb: 4096,
      card: { pciId: "10de:0fc6", boot0: "0x0e7150a2", chipset: "0xe7", family: "NVE0", name: "GK107" },
      steps: [
        { step: 1, exitCode: 0 },
        { step: 2, command: "true", exitCode: 0 },
      ],
    });
    expect(info.sha256).toBe(execFileSync("sha256sum", { input: text, encoding: "utf8" }).split(" ")[0]);
    expect(system.currentTracer()).toBe("nop");
    expect(system.kernelLog().filter((line) => line.startsWith("EBUSY"))).toEqual([]);
    expect(system.kernelLog()).toContain("tracer mmiotrace, buffer 4096 KiB, offlined cpu1,cpu2,cpu3");
    expect([1, 2, 3].map((cpu) => system!.cpuOnline(cpu))).toEqual(["1", "1", "1"]);
  });
});
