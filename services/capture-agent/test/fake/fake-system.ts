import { type ChildProcess, spawn, spawnSync } from "node:child_process";
import {
  existsSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  rmSync,
  symlinkSync,
  writeFileSync,
} from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const here = dirname(fileURLToPath(import.meta.url));
export const FAKE_DRIVER = join(here, "fake-driver.mjs");

export interface FakeGpu {
  slot: string;
  vendor: string;
  device: string;
  driver?: string;
  classCode?: string;
}

export interface FakeSystemOptions {
  cpus?: number;
  modules?: string[];
  gpus?: FakeGpu[];
  tracers?: string;
  currentTracer?: string;
  memAvailableKb?: number;
  /** false: no tracing directory at all (tracefs not mounted). */
  tracefs?: boolean;
  connectors?: Array<{ name: string; status: string; edid?: Buffer; modes?: string[] }>;
}

export interface FakeSystem {
  root: string;
  tracefs: string;
  sysRoot: string;
  procRoot: string;
  /** Environment pointing the agent at this fake machine. */
  env: Record<string, string>;
  kernel: ChildProcess | null;
  kernelLog(): string[];
  currentTracer(): string;
  cpuOnline(cpu: number): string;
  /** Shell command that makes the fake driver do `count` register accesses. */
  driverCommand(count: number): string;
  startKernel(): Promise<void>;
  stop(): void;
}

function mkfifo(path: string): void {
  const result = spawnSync("mkfifo", [path]);
  if (result.status !== 0) throw new Error(`mkfifo ${path}: ${result.stderr}`);
}

function write(path: string, text: string | Buffer): void {
  mkdirSync(dirname(path), { recursive: true });
  writeFileSync(path, text);
}

/**
 * A prepared fake machine: tracing directory (plain files, FIFOs for trace_pipe and trace_marker),
 * sysfs (CPUs, PCI GPUs, DRM connectors), procfs (modules, meminfo) and /etc/os-release. The
 * kernel's behaviour comes from fake-kernel.mjs, started by startKernel().
 */
export function createFakeSystem(options: FakeSystemOptions = {}): FakeSystem {
  const root = mkdtempSync(join(tmpdir(), "mmiohub-fake-"));
  const tracefs = join(root, "tracing");
  const sysRoot = join(root, "sys");
  const procRoot = join(root, "proc");
  const etcRoot = join(root, "etc");
  if (options.tracefs !== false) {
    mkdirSync(tracefs, { recursive: true });
    write(
      join(tracefs, "available_tracers"),
      `${options.tracers ?? "blk mmiotrace function_graph function nop"}\n`,
    );
    write(join(tracefs, "current_tracer"), `${options.currentTracer ?? "nop"}\n`);
    write(join(tracefs, "buffer_size_kb"), "7 (expanded: 1408)\n");
    mkfifo(join(tracefs, "trace_pipe"));
    mkfifo(join(tracefs, "trace_marker"));
  }
  mkfifo(join(root, "driver-requests"));
  const cpus = options.cpus ?? 4;
  write(join(sysRoot, "devices", "system", "cpu", "online"), `0-${cpus - 1}\n`);
  mkdirSync(join(sysRoot, "devices", "system", "cpu", "cpu0"), { recursive: true });
  for (let cpu = 1; cpu < cpus; cpu++)
    write(join(sysRoot, "devices", "system", "cpu", `cpu${cpu}`, "online"), "1\n");
  const gpus = options.gpus ?? [{ slot: "0000:01:00.0", vendor: "10de", device: "0fc6" }];
  for (const gpu of gpus) {
    const dir = join(sysRoot, "bus", "pci", "devices", gpu.slot);
    write(join(dir, "vendor"), `0x${gpu.vendor}\n`);
    write(join(dir, "device"), `0x${gpu.device}\n`);
    write(join(dir, "class"), `0x${gpu.classCode ?? "030000"}\n`);
    write(join(dir, "subsystem_vendor"), "0x1462\n");
    write(join(dir, "subsystem_device"), "0x2750\n");
    write(join(dir, "revision"), "0xa1\n");
    if (gpu.driver) {
      mkdirSync(join(sysRoot, "bus", "pci", "drivers", gpu.driver), { recursive: true });
      symlinkSync(join(sysRoot, "bus", "pci", "drivers", gpu.driver), join(dir, "driver"));
    }
  }
  // A host bridge that is not a GPU, to be ignored.
  write(join(sysRoot, "bus", "pci", "devices", "0000:00:00.0", "class"), "0x060000\n");
  for (const connector of options.connectors ?? []) {
    const dir = join(sysRoot, "class", "drm", connector.name);
    write(join(dir, "status"), `${connector.status}\n`);
    write(join(dir, "enabled"), connector.status === "connected" ? "enabled\n" : "disabled\n");
    write(join(dir, "modes"), `${(connector.modes ?? []).join("\n")}\n`);
    write(join(dir, "edid"), connector.edid ?? Buffer.alloc(0));
  }
  write(
    join(procRoot, "modules"),
    (options.modules ?? ["snd_hda_intel", "e1000e"])
      .map((name) => `${name} 16384 0 - Live 0x0000000000000000\n`)
      .join(""),
  );
  write(
    join(procRoot, "meminfo"),
    `MemTotal: 16000000 kB\nMemAvailable: ${options.memAvailableKb ?? 8_000_000} kB\n`,
  );
  write(join(etcRoot, "os-release"), 'PRETTY_NAME="Debian GNU/Linux 12 (bookworm)"\nID=debian\n');

  const system: FakeSystem = {
    root,
    tracefs,
    sysRoot,
    procRoot,
    env: {
      MMIOHUB_TRACEFS: tracefs,
      MMIOHUB_SYSFS: sysRoot,
      MMIOHUB_PROCFS: procRoot,
      MMIOHUB_ETC: etcRoot,
      MMIOHUB_AGENT_CONFIG: join(root, "agent.json"),
    },
    kernel: null,
    kernelLog: () =>
      existsSync(join(root, "kernel.log"))
        ? readFileSync(join(root, "kernel.log"), "utf8").trim().split("\n")
        : [],
    currentTracer: () => readFileSync(join(tracefs, "current_tracer"), "utf8").trim(),
    cpuOnline: (cpu) =>
      readFileSync(join(sysRoot, "devices", "system", "cpu", `cpu${cpu}`, "online"), "utf8").trim(),
    driverCommand: (count) => `node ${FAKE_DRIVER} ${root} ${count}`,
    async startKernel() {
      // Blocking FIFO reads and the writer's open each hold a libuv thread: leave room for the rest.
      system.kernel = spawn(process.execPath, [join(here, "fake-kernel.mjs"), root], {
        stdio: "inherit",
        env: { ...process.env, UV_THREADPOOL_SIZE: "16" },
      });
      const deadline = Date.now() + 10_000;
      while (!existsSync(join(root, "kernel.ready"))) {
        if (Date.now() > deadline) throw new Error("fake kernel did not start");
        await new Promise((resolve) => setTimeout(resolve, 10));
      }
    },
    stop() {
      system.kernel?.kill("SIGKILL");
      rmSync(root, { recursive: true, force: true });
    },
  };
  writeFileSync(join(root, "agent.json"), "{}\n");
  return system;
}
