import { existsSync, mkdirSync } from "node:fs";
import { join, resolve } from "node:path";
import { chooseXzBackend, describeBackend } from "../compress";
import type { AgentConfig } from "../config";
import { GPU_DRIVERS, loadedModules } from "../machine";
import { record, type Step } from "../recorder";
import { type RecordingInfo, TRACE_FILE } from "../recording-info";
import { locateTracefs, Tracefs } from "../tracefs";
import type { Ui } from "../ui";
import { CliError, EXIT_LOST_EVENTS } from "./cli-error";

export interface RecordArgs {
  out: string | undefined;
  run: string[];
  phase: string[];
  duration: number | undefined;
  force: boolean;
}

export const DEFAULT_PHASES = [
  "Load the driver now (e.g. `modprobe nouveau` or `modprobe nvidia`)",
  "Do what you want traced (start X, change modes, run a program)",
  "Unload the driver if you want its teardown traced",
];

export function defaultOutDir(now = new Date()): string {
  return `mmiotrace-${now.toISOString().replace(/[-:]/g, "").replace("T", "-").slice(0, 15)}`;
}

export function openTracefs(config: AgentConfig): Tracefs {
  const dir = locateTracefs(config.tracefs);
  if (dir === undefined) {
    throw new CliError(
      "TRACEFS_MISSING",
      config.tracefs === undefined
        ? "no tracing directory: mount it with `mount -t tracefs nodev /sys/kernel/tracing` (or run `mmiohub-agent doctor --fix`)"
        : `${config.tracefs} is not a tracing directory (no available_tracers/current_tracer)`,
    );
  }
  return new Tracefs(dir);
}

/** Checks that make a recording pointless or unsafe; returns the steps to run. */
function preflight(config: AgentConfig, tracefs: Tracefs, args: RecordArgs, ui: Ui): void {
  if (!tracefs.availableTracers().includes("mmiotrace")) {
    throw new CliError("NO_MMIOTRACE", "this kernel has no mmiotrace tracer (CONFIG_MMIOTRACE=y is needed)");
  }
  const current = tracefs.currentTracer();
  if (current !== "nop") {
    throw new CliError(
      "TRACER_BUSY",
      `the tracer '${current}' is already active (another recording?); stop it with \`echo nop > ${tracefs.path("current_tracer")}\``,
    );
  }
  const loaded = loadedModules(config.procRoot).filter((name) => GPU_DRIVERS.includes(name));
  if (loaded.length > 0) {
    const message = `driver already loaded: ${loaded.join(", ")}; only ioremaps made after tracing starts are recorded, so its start-up will be missing`;
    if (!args.force) throw new CliError("DRIVER_LOADED", `${message} (unload it, or pass --force)`);
    ui.warn(message);
  }
}

export async function recordCommand(config: AgentConfig, args: RecordArgs, ui: Ui): Promise<RecordingInfo> {
  const tracefs = openTracefs(config);
  preflight(config, tracefs, args, ui);
  const steps: Step[] = [
    ...args.run.map((command): Step => ({ kind: "run", command })),
    ...args.phase.map((text): Step => ({ kind: "phase", text })),
  ];
  if (steps.length === 0 && args.duration === undefined && ui.interactive) {
    steps.push(...DEFAULT_PHASES.map((text): Step => ({ kind: "phase", text })));
  }
  let bufferKb = config.bufferKb;
  const backend = chooseXzBackend();
  for (;;) {
    const outDir = resolve(args.out ?? defaultOutDir());
    if (existsSync(join(outDir, TRACE_FILE)) && !args.force) {
      throw new CliError("OUT_EXISTS", `${outDir} already holds a trace; pick another --out or pass --force`);
    }
    mkdirSync(outDir, { recursive: true });
    ui.info(`recording into ${outDir} (compressor: ${describeBackend(backend)})`);
    const info = await record({
      tracefs,
      sysRoot: config.sysRoot,
      outDir,
      bufferKb,
      backend,
      steps,
      durationSec: args.duration,
      ui,
    });
    ui.info(
      `recorded ${info.lines} lines (${info.textBytes} bytes of text), sha256 ${info.sha256.slice(0, 16)}..., stopped by ${info.stoppedBy}`,
    );
    if (!info.versionSeen) ui.warn("no VERSION line: trace_pipe did not deliver the trace header");
    if (info.pciDevices === 0) ui.warn("no PCIDEV lines: the trace does not say which devices were present");
    if (info.card !== null)
      ui.info(`traced card ${info.card.pciId}: ${info.card.name ?? "?"} (${info.card.family})`);
    if (info.lostEvents === 0) return info;
    const bigger = bufferKb * 2;
    ui.warn(
      `the kernel lost ${info.lostEvents} events: the trace is incomplete. Record again with a larger buffer (--buffer-kb ${bigger}).`,
    );
    const again = await ui.ask(`Record again with --buffer-kb ${bigger}? [y/N] `);
    if (again === null || !/^y/i.test(again.trim())) {
      throw new CliError(
        "LOST_EVENTS",
        `trace kept in ${outDir}, but ${info.lostEvents} events were lost`,
        EXIT_LOST_EVENTS,
      );
    }
    bufferKb = bigger;
    args = { ...args, out: `${outDir}-retry`, force: args.force };
  }
}

export function markCommand(config: AgentConfig, text: string): void {
  const tracefs = openTracefs(config);
  const current = tracefs.currentTracer();
  if (current !== "mmiotrace")
    throw new CliError("NOT_RECORDING", `no recording is running (current tracer: ${current})`);
  tracefs.marker(text);
}
