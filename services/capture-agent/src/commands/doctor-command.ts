import { spawnSync } from "node:child_process";
import { statfsSync } from "node:fs";
import { resolve } from "node:path";
import { chooseXzBackend, describeBackend, findProgram } from "../compress";
import type { AgentConfig } from "../config";
import { cpuStates, GPU_DRIVERS, loadedModules, memAvailableKb } from "../machine";
import { listGpus, NVIDIA_VENDOR, pciId } from "../pci";
import { locateTracefs, TRACEFS_CANDIDATES, Tracefs } from "../tracefs";
import { formatBytes, type Ui } from "../ui";

export type CheckStatus = "ok" | "warn" | "fail";
export interface Check {
  id: string;
  status: CheckStatus;
  message: string;
  fix?: string;
}

export interface DoctorArgs {
  fix: boolean;
  out: string | undefined;
}

const MIN_FREE_BYTES = 256 * 1024 * 1024;
const GOOD_FREE_BYTES = 4 * 1024 * 1024 * 1024;

function tryMount(): boolean {
  // Only the kernel's own places, and only when asked (--fix): never mount over a configured path.
  const mount = findProgram("mount");
  if (mount === undefined) return false;
  const first = TRACEFS_CANDIDATES[0] as string;
  return spawnSync(mount, ["-t", "tracefs", "nodev", first], { timeout: 10_000 }).status === 0;
}

export function runChecks(config: AgentConfig, args: DoctorArgs, uid = process.getuid?.() ?? 0): Check[] {
  const checks: Check[] = [];
  checks.push(
    uid === 0
      ? { id: "root", status: "ok", message: "running as root" }
      : {
          id: "root",
          status: "fail",
          message: `running as uid ${uid}`,
          fix: "run as root (sudo mmiohub-agent ...)",
        },
  );

  let dir = locateTracefs(config.tracefs);
  if (dir === undefined && args.fix && config.tracefs === undefined && tryMount())
    dir = locateTracefs(undefined);
  const tracefs = dir === undefined ? undefined : new Tracefs(dir);
  if (tracefs === undefined) {
    checks.push({
      id: "tracefs",
      status: "fail",
      message: config.tracefs ? `${config.tracefs} is not a tracing directory` : "tracefs is not mounted",
      fix: "mount -t tracefs nodev /sys/kernel/tracing (or: mmiohub-agent doctor --fix)",
    });
  } else {
    checks.push({ id: "tracefs", status: "ok", message: `tracing directory ${tracefs.dir}` });
    const tracers = tracefs.availableTracers();
    checks.push(
      tracers.includes("mmiotrace")
        ? { id: "mmiotrace", status: "ok", message: "mmiotrace is available" }
        : {
            id: "mmiotrace",
            status: "fail",
            message: `mmiotrace is not among the tracers (${tracers.join(" ")})`,
            fix: "boot a kernel built with CONFIG_MMIOTRACE=y (Debian's stock kernels have it)",
          },
    );
    const current = tracefs.currentTracer();
    checks.push(
      current === "nop"
        ? { id: "tracer-idle", status: "ok", message: "no tracer is running" }
        : {
            id: "tracer-idle",
            status: "fail",
            message: `the tracer '${current}' is active`,
            fix: `close readers of trace_pipe, then: echo nop > ${tracefs.path("current_tracer")}`,
          },
    );
    const kb = tracefs.bufferSizeKb();
    const mem = memAvailableKb(config.procRoot);
    if (mem !== undefined && config.bufferKb > mem / 2) {
      checks.push({
        id: "buffer",
        status: "fail",
        message: `buffer ${config.bufferKb} KiB is more than half the available memory (${mem} KiB)`,
        fix: `pass --buffer-kb ${Math.floor(mem / 4)}`,
      });
    } else {
      checks.push({
        id: "buffer",
        status: "ok",
        message: `the buffer will be set to ${config.bufferKb} KiB (now ${kb ?? "?"} KiB)${mem === undefined ? "" : `; ${mem} KiB of memory available`}`,
      });
    }
  }

  const loaded = loadedModules(config.procRoot).filter((name) => GPU_DRIVERS.includes(name));
  checks.push(
    loaded.length === 0
      ? { id: "driver-unloaded", status: "ok", message: "no NVIDIA driver is loaded yet" }
      : {
          id: "driver-unloaded",
          status: "fail",
          message: `already loaded: ${loaded.join(", ")}; its start-up would not be traced`,
          fix: `stop the display manager, then: rmmod ${[...loaded].reverse().join(" ")} (or boot with modprobe.blacklist=${loaded.join(",")})`,
        },
  );

  const cpus = cpuStates(config.sysRoot);
  const goOffline = cpus.filter((cpu) => cpu.online === true).map((cpu) => `cpu${cpu.cpu}`);
  const already = cpus.filter((cpu) => cpu.online === false).map((cpu) => `cpu${cpu.cpu}`);
  checks.push({
    id: "cpus",
    status: already.length > 0 ? "warn" : "ok",
    message:
      `mmiotrace takes all CPUs but one offline while recording: ${goOffline.join(", ") || "none"} will go offline` +
      (already.length > 0 ? `; already offline: ${already.join(", ")}` : ""),
    ...(already.length > 0
      ? { fix: `echo 1 > ${config.sysRoot}/devices/system/cpu/<cpuN>/online for each` }
      : {}),
  });

  const out = resolve(args.out ?? ".");
  try {
    const fs = statfsSync(out);
    const free = fs.bavail * fs.bsize;
    const status: CheckStatus = free < MIN_FREE_BYTES ? "fail" : free < GOOD_FREE_BYTES ? "warn" : "ok";
    checks.push({
      id: "disk",
      status,
      message: `${formatBytes(free)} free in ${out} (a long trace takes a few hundred MiB compressed)`,
      ...(status === "ok" ? {} : { fix: "record onto a disk with more room: --out /path/with/room" }),
    });
  } catch (error) {
    checks.push({ id: "disk", status: "fail", message: `cannot check ${out}: ${(error as Error).message}` });
  }

  const gpus = listGpus(config.sysRoot);
  const nvidia = gpus.filter((gpu) => gpu.vendorId === NVIDIA_VENDOR);
  const listed = gpus
    .map((gpu) => `${gpu.slot} [${pciId(gpu)}]${gpu.driver ? ` driver ${gpu.driver}` : ""}`)
    .join("; ");
  checks.push(
    nvidia.length > 0
      ? { id: "gpu", status: "ok", message: `GPUs: ${listed}` }
      : {
          id: "gpu",
          status: "fail",
          message: gpus.length > 0 ? `no NVIDIA GPU among: ${listed}` : "no GPU found in sysfs",
          fix: "check that the card is seated and visible (ls /sys/bus/pci/devices)",
        },
  );

  const backend = chooseXzBackend();
  checks.push({
    id: "compressor",
    status: backend.kind === "xz" ? "ok" : "warn",
    message: describeBackend(backend),
    ...(backend.kind === "xz" ? {} : { fix: "install xz (xz-utils) for archives 6-10x smaller" }),
  });
  return checks;
}

export async function doctorCommand(config: AgentConfig, args: DoctorArgs, ui: Ui): Promise<number> {
  const checks = runChecks(config, args);
  const mark = { ok: "ok  ", warn: "WARN", fail: "FAIL" } as const;
  for (const check of checks) {
    ui.info(`[${mark[check.status]}] ${check.id}: ${check.message}`);
    if (check.fix) ui.info(`       fix: ${check.fix}`);
  }
  const failed = checks.filter((check) => check.status === "fail").length;
  ui.info(failed === 0 ? "ready to record" : `${failed} problem(s) to fix before recording`);
  return failed === 0 ? 0 : 1;
}
