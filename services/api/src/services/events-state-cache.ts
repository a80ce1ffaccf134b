import type { AnnotatorState } from "@mmiohub/annotate";

/**
 * Annotator states where served pages ended, per event store: "next page" resumes where the
 * previous page stopped instead of at the store's checkpoint (up to a checkpoint interval of
 * events annotated and thrown away). States are small JSON values, kept as given and handed out
 * as kept: `put` takes a state nobody else holds (`snapshot()` returns a fresh copy) and what
 * `best` returns is only read (`restore()` copies it), so no copies are made here. Bounded,
 * oldest out.
 */
export class AnnotatorStateCache {
  private readonly entries = new Map<
    string,
    { storeKey: string; eventIndex: number; state: AnnotatorState }
  >();

  constructor(private readonly max = 512) {}

  /** The cached state nearest before (or at) `from`, if it is later than `after`. */
  best(
    storeKey: string,
    from: number,
    after: number,
  ): { eventIndex: number; state: AnnotatorState } | undefined {
    let found: { eventIndex: number; state: AnnotatorState } | undefined;
    for (const e of this.entries.values()) {
      if (e.storeKey !== storeKey || e.eventIndex > from || e.eventIndex <= after) continue;
      if (!found || e.eventIndex > found.eventIndex) found = e;
    }
    return found && { eventIndex: found.eventIndex, state: found.state };
  }

  /** The state before event `eventIndex` (kept as it is: the caller gives it up). */
  put(storeKey: string, eventIndex: number, state: AnnotatorState): void {
    const key = `${storeKey}:${eventIndex}`;
    this.entries.delete(key);
    this.entries.set(key, { storeKey, eventIndex, state });
    if (this.entries.size > this.max) this.entries.delete(this.entries.keys().next().value!);
  }
}
