import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { type CpuState, cpuStates } from "./machine";
import { type Tracefs, TracefsError } from "./tracefs";

/**
 * The kernel side of a recording: start mmiotrace, and put everything back however we leave: tracer
 * at nop, CPUs that were online before are online again. stopTracer() is synchronous so the same code
 * serves the normal path, signal handlers and the `exit` hook of a crashing process.
 */
export class TracerSession {
  private active = false;
  private readonly cpusBefore: CpuState[];
  readonly log: string[] = [];

  constructor(
    readonly tracefs: Tracefs,
    private readonly sysRoot: string,
  ) {
    this.cpusBefore = cpuStates(sysRoot);
  }

  isActive(): boolean {
    return this.active;
  }

  start(bufferKb: number): void {
    this.tracefs.setBufferSizeKb(bufferKb);
    this.active = true;
    this.tracefs.setTracer("mmiotrace");
  }

  /**
   * The reader must be closed before this is called: 6.1 answers EBUSY to nop while trace_pipe is
   * open. A few retries cover a reader thread that is still letting go of the file.
   */
  stopTracer(): void {
    if (!this.active) return;
    let lastError: unknown;
    for (let attempt = 0; attempt < 20; attempt++) {
      try {
        this.tracefs.setTracer("nop");
        this.active = false;
        this.log.push("tracer set to nop");
        this.restoreCpus();
        return;
      } catch (error) {
        lastError = error;
        if (!(error instanceof TracefsError && error.code === "TRACER_BUSY")) break;
        Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 50);
      }
    }
    this.restoreCpus();
    throw lastError;
  }

  /** The kernel brings CPUs back when the tracer stops; if it did not, we do. */
  restoreCpus(): string[] {
    const restored: string[] = [];
    const missing = () =>
      cpuStates(this.sysRoot).some(
        (state) =>
          state.online === false && this.cpusBefore.some((b) => b.cpu === state.cpu && b.online === true),
      );
    // The kernel onlines them as part of leaving mmiotrace; give it a moment before stepping in.
    for (let waited = 0; waited < 1000 && missing(); waited += 20) {
      Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 20);
    }
    const now = new Map(cpuStates(this.sysRoot).map((state) => [state.cpu, state.online]));
    for (const before of this.cpusBefore) {
      if (before.online !== true || now.get(before.cpu) !== false) continue;
      try {
        writeFileSync(join(this.sysRoot, "devices", "system", "cpu", `cpu${before.cpu}`, "online"), "1\n");
        restored.push(`cpu${before.cpu}`);
      } catch (error) {
        this.log.push(`could not bring cpu${before.cpu} back online: ${(error as Error).message}`);
      }
    }
    if (restored.length > 0) this.log.push(`brought ${restored.join(", ")} back online`);
    return restored;
  }

  offlineCpus(): number[] {
    return cpuStates(this.sysRoot)
      .filter((state) => state.online === false)
      .map((state) => state.cpu);
  }
}
