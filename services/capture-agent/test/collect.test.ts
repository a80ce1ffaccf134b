import { mkdirSync, writeFileSync } from "node:fs";
import { hostname } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { collectMetadata } from "../src/collect";
import { createFakeSystem, type FakeSystem } from "./fake/fake-system";

let system: FakeSystem | undefined;
afterEach(() => {
  system?.stop();
  system = undefined;
});

function edidNamed(name: string): Buffer {
  const edid = Buffer.alloc(128);
  Buffer.from([0x00, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x00]).copy(edid);
  edid.writeUInt16BE((7 << 10) | (19 << 5) | 13, 8); // "GSM"
  Buffer.from([0, 0, 0, 0xfc, 0]).copy(edid, 54);
  Buffer.from(`${name}\n`, "latin1").copy(edid, 59);
  return edid;
}

describe("collect", () => {
  it("gathers GPUs, the NVIDIA driver version, connectors with monitor names; no hostname unless asked", () => {
    system = createFakeSystem({
      gpus: [
        { slot: "0000:01:00.0", vendor: "10de", device: "1c82", driver: "nvidia" },
        { slot: "0000:00:02.0", vendor: "8086", device: "3e92", driver: "i915" },
      ],
      connectors: [
        {
          name: "card1-HDMI-A-1",
          status: "connected",
          edid: edidNamed("LG ULTRAFINE"),
          modes: ["3840x2160"],
        },
        { name: "card1-DP-1", status: "disconnected" },
      ],
    });
    mkdirSync(join(system.procRoot, "driver", "nvidia"), { recursive: true });
    writeFileSync(
      join(system.procRoot, "driver", "nvidia", "version"),
      "NVRM version: NVIDIA UNIX x86_64 Kernel Module  535.183.01  Sun May 12 19:39:15 UTC 2024\nGCC version:  gcc version 12.2.0\n",
    );
    const sources = {
      sysRoot: system.sysRoot,
      procRoot: system.procRoot,
      etcRoot: system.env.MMIOHUB_ETC!,
      includeHostname: false,
      // No modinfo/lspci/uname on this PATH: the sysfs and procfs fallbacks must do.
      env: { PATH: "/nonexistent" },
    };
    const metadata = collectMetadata(sources, null);
    expect(metadata.gpus.map((gpu) => [gpu.slot, gpu.pciId, gpu.driver, gpu.lspci])).toEqual([
      ["0000:00:02.0", "8086:3e92", "i915", null],
      ["0000:01:00.0", "10de:1c82", "nvidia", null],
    ]);
    expect(metadata.driver).toEqual({
      name: "nvidia",
      version: "535.183.01",
      procVersion: expect.stringContaining("Kernel Module  535.183.01"),
    });
    expect(metadata.displays).toEqual([
      {
        connector: "card1-DP-1",
        status: "disconnected",
        enabled: "disabled",
        monitor: null,
        manufacturer: null,
        modes: [],
      },
      {
        connector: "card1-HDMI-A-1",
        status: "connected",
        enabled: "enabled",
        monitor: "LG ULTRAFINE",
        manufacturer: "GSM",
        modes: ["3840x2160"],
      },
    ]);
    expect(metadata.distribution).toBe("Debian GNU/Linux 12 (bookworm)");
    expect(metadata.xrandr).toBeNull();
    expect(metadata.kernel).toMatch(/^Linux \S+ .* x86_64$/);
    expect("hostname" in metadata).toBe(false);
    expect(collectMetadata({ ...sources, includeHostname: true }, null).hostname).toBe(hostname());
  });
});
