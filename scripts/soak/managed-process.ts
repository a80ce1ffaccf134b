import { type ChildProcess, spawn } from "node:child_process";
import { createWriteStream, type WriteStream } from "node:fs";

/** A service process that the soak test kills and restarts; its output goes to a log file. */
export class ManagedProcess {
  private child: ChildProcess | undefined;
  private readonly log: WriteStream;
  starts = 0;

  constructor(
    readonly name: string,
    private readonly entry: string,
    private readonly env: Record<string, string>,
    logFile: string,
    private readonly cwd: string,
  ) {
    this.log = createWriteStream(logFile, { flags: "a" });
  }

  start(): void {
    this.starts++;
    this.log.write(`\n=== start #${this.starts} ${new Date().toISOString()}\n`);
    const child = spawn(process.execPath, ["--import", "tsx", this.entry], {
      cwd: this.cwd,
      env: { ...process.env, ...this.env },
      stdio: ["ignore", "pipe", "pipe"],
    });
    child.stdout?.pipe(this.log, { end: false });
    child.stderr?.pipe(this.log, { end: false });
    this.child = child;
  }

  get running(): boolean {
    return !!this.child && this.child.exitCode === null && this.child.signalCode === null;
  }

  async kill(signal: NodeJS.Signals = "SIGKILL"): Promise<void> {
    const child = this.child;
    if (!child || !this.running) return;
    await new Promise<void>((resolve) => {
      child.once("exit", () => resolve());
      child.kill(signal);
    });
  }

  close(): void {
    this.log.end();
  }
}
