/** One step's outcome, stored in `submission.notes` (like a crash processor's notes). */
export interface Note {
  step: string;
  ok: boolean;
  ms: number;
  message: string;
  at: string;
  [detail: string]: unknown;
}

/** Collects the processing notes of one run. */
export class Notes {
  readonly list: Note[] = [];

  add(step: string, ok: boolean, ms: number, message: string, details: Record<string, unknown> = {}): void {
    this.list.push({ step, ok, ms: Math.round(ms), message, at: new Date().toISOString(), ...details });
  }

  /** Runs `fn`, noting its duration and the message `describe` makes of its result. */
  async time<T>(step: string, fn: () => Promise<T>, describe: (r: T) => string): Promise<T> {
    const t0 = performance.now();
    try {
      const r = await fn();
      this.add(step, true, performance.now() - t0, describe(r));
      return r;
    } catch (err) {
      this.add(step, false, performance.now() - t0, (err as Error).message);
      throw err;
    }
  }
}
