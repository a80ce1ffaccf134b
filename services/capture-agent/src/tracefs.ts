import { closeSync, existsSync, openSync, readFileSync, writeSync } from "node:fs";
import { join } from "node:path";

export const TRACEFS_CANDIDATES = ["/sys/kernel/tracing", "/sys/kernel/debug/tracing"];

/** The kernel truncates markers longer than this; we cut them ourselves so the cut is visible. */
const MARKER_MAX_BYTES = 1000;

export class TracefsError extends Error {
  constructor(
    readonly code: "TRACEFS_MISSING" | "TRACER_BUSY" | "TRACEFS_IO",
    message: string,
  ) {
    super(message);
  }
}

/** A directory is a usable tracing directory when the kernel's control files are in it. */
export function isTracingDir(dir: string): boolean {
  return existsSync(join(dir, "available_tracers")) && existsSync(join(dir, "current_tracer"));
}

export function locateTracefs(explicit: string | undefined): string | undefined {
  const candidates = explicit === undefined ? TRACEFS_CANDIDATES : [explicit];
  return candidates.find(isTracingDir);
}

/**
 * Control files of the tracing directory. Writes are synchronous on purpose: the stop path runs from
 * signal handlers and `exit` hooks, where awaiting is not possible, and each write must be one write(2)
 * because the kernel treats each write to trace_marker as one marker.
 */
export class Tracefs {
  constructor(readonly dir: string) {}

  path(name: string): string {
    return join(this.dir, name);
  }

  read(name: string): string {
    return readFileSync(this.path(name), "utf8").trim();
  }

  write(name: string, value: string): void {
    const fd = openSync(this.path(name), "w");
    try {
      writeSync(fd, Buffer.from(`${value}\n`));
    } finally {
      closeSync(fd);
    }
  }

  availableTracers(): string[] {
    return this.read("available_tracers").split(/\s+/).filter(Boolean);
  }

  currentTracer(): string {
    return this.read("current_tracer");
  }

  bufferSizeKb(): number | undefined {
    // The kernel prints "7 (expanded: 1408)" before the first use of the buffer.
    const match = /^(\d+)/.exec(this.read("buffer_size_kb"));
    return match ? Number(match[1]) : undefined;
  }

  setBufferSizeKb(kb: number): void {
    this.write("buffer_size_kb", String(kb));
  }

  /** Sets the tracer; EBUSY (6.1 kernels: trace_pipe still open) comes back as TRACER_BUSY. */
  setTracer(name: string): void {
    try {
      this.write("current_tracer", name);
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code;
      if (code === "EBUSY") {
        throw new TracefsError(
          "TRACER_BUSY",
          `the kernel refused '${name}' (EBUSY): trace_pipe is still open`,
        );
      }
      throw new TracefsError("TRACEFS_IO", `cannot set tracer '${name}': ${(error as Error).message}`);
    }
  }

  marker(text: string): void {
    const oneLine = text.replace(/[\r\n]+/g, " ");
    const bytes = Buffer.from(oneLine);
    const cut =
      bytes.length > MARKER_MAX_BYTES ? `${bytes.subarray(0, MARKER_MAX_BYTES).toString()}...` : oneLine;
    this.write("trace_marker", cut);
  }
}
