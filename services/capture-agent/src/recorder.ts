import { spawn } from "node:child_process";
import { createHash, randomBytes } from "node:crypto";
import { once } from "node:events";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { createXzFileWriter, describeBackend, findProgram, type XzBackend } from "./compress";
import { createMarkerWatch } from "./marker-watch";
import { openPipeReader, type PipeReader } from "./pipe-reader";
import { RECORDING_FILE, type RecordingInfo, TRACE_FILE } from "./recording-info";
import { createTraceChecker } from "./trace-check";
import type { Tracefs } from "./tracefs";
import { TracerSession } from "./tracer-session";
import { formatBytes, formatDuration, type Ui } from "./ui";

export type Step = { kind: "run"; command: string } | { kind: "phase"; text: string };

export interface RecordOptions {
  tracefs: Tracefs;
  sysRoot: string;
  outDir: string;
  bufferKb: number;
  backend: XzBackend;
  steps: Step[];
  /** Stop after this many seconds when there are no steps; otherwise record until a signal. */
  durationSec: number | undefined;
  ui: Ui;
}

const DRAIN_TIMEOUT_MS = 10_000;
const START_TIMEOUT_MS = 5_000;

/** One recording: tracer on, trace_pipe -> checker + sha256 + xz file, steps with markers, safe stop. */
export async function record(options: RecordOptions): Promise<RecordingInfo> {
  const { tracefs, ui } = options;
  const session = new TracerSession(tracefs, options.sysRoot);
  const checker = createTraceChecker((count, total) => {
    ui.warn(`the kernel lost ${count} events (${total} so far): the trace buffer overflowed`);
  });
  const hash = createHash("sha256");
  const writer = createXzFileWriter(join(options.outDir, TRACE_FILE), options.backend);
  const nonce = randomBytes(4).toString("hex");
  const startToken = `mmiohub: recording started ${nonce}`;
  const endToken = `mmiohub: end of recording ${nonce}`;
  const watch = createMarkerWatch([startToken, endToken]);
  let stopReason: string = "end";
  let stopRequested: () => void = () => {};
  const stopSignal = new Promise<void>((resolve) => {
    stopRequested = resolve;
  });
  const stepsLog: RecordingInfo["steps"] = [];
  const startedAt = new Date();
  let reader: PipeReader | undefined;

  // Crash, Ctrl-C twice, or exit without going through the normal stop: close the pipe, then nop.
  const emergency = () => {
    reader?.closeNow();
    writer.abort();
    try {
      session.stopTracer();
    } catch (error) {
      process.stderr.write(`mmiohub-agent: could not stop the tracer: ${(error as Error).message}\n`);
    }
  };
  let signalCount = 0;
  const onSignal = (signal: NodeJS.Signals) => {
    signalCount++;
    if (signalCount > 1) {
      emergency();
      process.exit(signal === "SIGINT" ? 130 : 143);
    }
    stopReason = signal;
    ui.warn(`${signal}: stopping the recording safely (again to stop at once)`);
    stopRequested();
  };
  const onCrash = (error: unknown) => {
    process.stderr.write(`mmiohub-agent: crashed while recording: ${(error as Error)?.stack ?? error}\n`);
    emergency();
    process.exit(70);
  };
  const signals: NodeJS.Signals[] = ["SIGINT", "SIGTERM", "SIGHUP"];
  for (const signal of signals) process.on(signal, onSignal);
  process.on("exit", emergency);
  process.on("uncaughtException", onCrash);
  process.on("unhandledRejection", onCrash);

  let linesSoFar = 0;
  let bytesSoFar = 0;
  const progress = setInterval(() => {
    ui.progress(
      `recording: ${linesSoFar} events, ${formatBytes(bytesSoFar)}, ${formatDuration(Date.now() - startedAt.getTime())}` +
        (checker.lostSoFar() > 0 ? `, LOST ${checker.lostSoFar()}` : ""),
    );
  }, 500);

  try {
    session.start(options.bufferKb);
    reader = await openPipeReader(tracefs.path("trace_pipe"), async (chunk) => {
      bytesSoFar += chunk.length;
      for (let at = chunk.indexOf(10); at >= 0; at = chunk.indexOf(10, at + 1)) linesSoFar++;
      hash.update(chunk);
      checker.feed(chunk);
      watch.feed(chunk);
      await writer.write(chunk);
    });
    // A failing reader or compressor ends the steps early; the error surfaces at reader.done below.
    reader.done.catch(() => {
      stopReason = "error";
      stopRequested();
    });
    tracefs.marker(startToken);
    // Our first marker coming back proves the whole path (tracer, buffer, pipe) before any step runs.
    if (!(await watch.wait(startToken, START_TIMEOUT_MS))) {
      ui.warn("nothing comes out of trace_pipe: the tracer may not be recording");
    }
    ui.info(
      `mmiotrace is on (buffer ${options.bufferKb} KiB); offline CPUs: ${session.offlineCpus().join(", ") || "none"}`,
    );
    await runSteps(options, tracefs, stepsLog, stopSignal, () => stopReason !== "end");

    // The kernel's order: last marker, let the reader drain up to it, close the reader, then nop.
    tracefs.marker(endToken);
    if (!(await watch.wait(endToken, DRAIN_TIMEOUT_MS)))
      ui.warn("the end marker did not come out of trace_pipe in time; the trace may miss its last events");
    reader.stop();
    await reader.done;
    session.stopTracer();
    await writer.end();
  } catch (error) {
    emergency();
    throw error;
  } finally {
    clearInterval(progress);
    ui.progressDone();
    for (const signal of signals) process.off(signal, onSignal);
    process.off("exit", emergency);
    process.off("uncaughtException", onCrash);
    process.off("unhandledRejection", onCrash);
  }

  const summary = checker.end();
  const info: RecordingInfo = {
    formatVersion: 1,
    startedAt: startedAt.toISOString(),
    endedAt: new Date().toISOString(),
    stoppedBy: stopReason,
    tracefs: tracefs.dir,
    bufferKb: options.bufferKb,
    compressor: describeBackend(options.backend),
    traceFile: TRACE_FILE,
    textBytes: summary.bytes,
    lines: summary.lines,
    sha256: hash.digest("hex"),
    lostEvents: summary.lostEvents,
    versionSeen: summary.versionSeen,
    pciDevices: summary.pciDevices.length,
    markers: summary.markers,
    card:
      summary.card === null
        ? null
        : {
            pciId: summary.card.pciId,
            boot0:
              summary.card.boot0 === null ? null : `0x${summary.card.boot0.toString(16).padStart(8, "0")}`,
            chipset: `0x${summary.card.chipset.toString(16)}`,
            family: summary.card.family,
            name: summary.card.name,
          },
    issues: summary.issues,
    steps: stepsLog,
    kernelLog: session.log,
  };
  writeFileSync(join(options.outDir, RECORDING_FILE), `${JSON.stringify(info, null, 2)}\n`);
  return info;
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

async function runSteps(
  options: RecordOptions,
  tracefs: Tracefs,
  log: RecordingInfo["steps"],
  stopSignal: Promise<void>,
  stopped: () => boolean,
): Promise<void> {
  const { ui } = options;
  if (options.steps.length === 0) {
    ui.info(
      options.durationSec === undefined
        ? "recording until Ctrl-C or SIGTERM; add markers from another shell with `mmiohub-agent mark TEXT`"
        : `recording for ${options.durationSec} s`,
    );
    const timer = options.durationSec === undefined ? undefined : sleep(options.durationSec * 1000);
    await Promise.race(timer ? [stopSignal, timer] : [stopSignal]);
    return;
  }
  for (const [index, step] of options.steps.entries()) {
    if (stopped()) return;
    const n = index + 1;
    const startedAt = new Date().toISOString();
    if (step.kind === "run") {
      tracefs.marker(`mmiohub: step ${n} begin: ${step.command}`);
      ui.info(`step ${n}: ${step.command}`);
      const child = spawn(findProgram("sh") ?? "/bin/sh", ["-c", step.command], {
        stdio: ["ignore", "inherit", "inherit"],
      });
      const exited = once(child, "exit") as Promise<[number | null, NodeJS.Signals | null]>;
      // A stop request ends the running step too, so the recording can close promptly.
      void stopSignal.then(() => child.exitCode === null && child.kill("SIGTERM"));
      const [code, signal] = await exited;
      const exitCode = code ?? (signal ? 128 : 1);
      tracefs.marker(`mmiohub: step ${n} end: exit ${exitCode}`);
      log.push({ step: n, command: step.command, exitCode, startedAt, endedAt: new Date().toISOString() });
      if (exitCode !== 0) ui.warn(`step ${n} exited with ${exitCode}`);
    } else {
      tracefs.marker(`mmiohub: phase ${n} begin: ${step.text}`);
      const abort = new AbortController();
      void stopSignal.then(() => abort.abort());
      const answer = await ui.ask(`${step.text} -- press Enter when done`, abort.signal);
      tracefs.marker(`mmiohub: phase ${n} end: ${step.text}`);
      log.push({ step: n, phase: step.text, startedAt, endedAt: new Date().toISOString() });
      if (answer === null) return;
    }
  }
}
