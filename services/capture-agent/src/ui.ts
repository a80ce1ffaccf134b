import { createInterface } from "node:readline";

/** Console output: messages on stdout, warnings and progress on stderr; live progress only on a TTY. */
export interface Ui {
  info(text: string): void;
  warn(text: string): void;
  progress(text: string): void;
  /** Ends a progress line so the next message starts on its own line. */
  progressDone(): void;
  interactive: boolean;
  /** The answer line, or null without a terminal, at end of input, or when `abort` fires. */
  ask(question: string, abort?: AbortSignal): Promise<string | null>;
}

export function formatBytes(bytes: number): string {
  const units = ["B", "KiB", "MiB", "GiB", "TiB"];
  let value = bytes;
  let unit = 0;
  while (value >= 1024 && unit < units.length - 1) {
    value /= 1024;
    unit++;
  }
  return `${unit === 0 ? value : value.toFixed(1)} ${units[unit]}`;
}

export function formatDuration(ms: number): string {
  const total = Math.max(0, Math.round(ms / 1000));
  const h = Math.floor(total / 3600);
  const m = Math.floor((total % 3600) / 60);
  const s = total % 60;
  return h > 0 ? `${h}h${String(m).padStart(2, "0")}m` : `${m}:${String(s).padStart(2, "0")}`;
}

export function createConsoleUi(
  stdin: NodeJS.ReadStream = process.stdin,
  stdout: NodeJS.WriteStream = process.stdout,
  stderr: NodeJS.WriteStream = process.stderr,
): Ui {
  const tty = Boolean(stderr.isTTY);
  let lastPlain = 0;
  let open = false;
  return {
    interactive: Boolean(stdin.isTTY),
    info(text) {
      this.progressDone();
      stdout.write(`${text}\n`);
    },
    warn(text) {
      this.progressDone();
      stderr.write(`warning: ${text}\n`);
    },
    progress(text) {
      if (tty) {
        stderr.write(`\r\x1b[K${text}`);
        open = true;
        return;
      }
      // Logs and pipes get a line every 5 s instead of a redrawn one.
      const now = Date.now();
      if (now - lastPlain >= 5000) {
        lastPlain = now;
        stderr.write(`${text}\n`);
      }
    },
    progressDone() {
      if (open) stderr.write("\n");
      open = false;
    },
    async ask(question, abort) {
      if (!stdin.isTTY) return null;
      // The question gets its own line and the terminal stays in cooked mode: the live progress
      // line keeps redrawing below it, Enter answers, Ctrl-C reaches our SIGINT handler.
      this.progressDone();
      stdout.write(`${question}\n`);
      const rl = createInterface({ input: stdin, terminal: false });
      try {
        return await new Promise<string | null>((resolve) => {
          rl.once("line", resolve);
          rl.once("close", () => resolve(null));
          abort?.addEventListener("abort", () => resolve(null), { once: true });
        });
      } finally {
        rl.close();
        stdin.pause();
      }
    },
  };
}

/** For tests and scripted runs: answers come from a list, output is collected. */
export function createScriptedUi(answers: string[] = []): Ui & { lines: string[] } {
  const lines: string[] = [];
  return {
    lines,
    interactive: answers.length > 0,
    info: (text) => lines.push(text),
    warn: (text) => lines.push(`warning: ${text}`),
    progress: () => {},
    progressDone: () => {},
    ask: async (question) => {
      lines.push(question);
      return answers.shift() ?? null;
    },
  };
}
