import {
  Annotator,
  type AnnotatorState,
  changesDecoderState,
  chooseCards,
  type DatabaseChoice,
  discardSink,
  newAccess,
  traceIdentify,
} from "@mmiohub/annotate";
import { chipsetName, EventKind, type PciDevice, type TraceBatch } from "@mmiohub/trace";

/** Names the stored checkpoints: @mmiohub/annotate's AnnotatorState, version 1. */
export const CHECKPOINT_FORMAT = "annotate/AnnotatorState@1";

/**
 * Keeps the annotator's decoder state up to date over the whole trace, for the event store's
 * checkpoints, at a fraction of the cost of annotating: only the accesses of NVIDIA cards that
 * can change the state (the annotator's `changesDecoderState`) go through it; for all others only
 * the card's last access time (SLEEP gaps) is kept here and written into each snapshot.
 * Annotating every access instead (register names and decodes for each) measured ~100k events/s
 * here, far too slow for ingest. test/checkpoints.test.ts checks the snapshots against a full
 * annotation, so a new decoder in the annotator that this filter misses shows up there.
 */
export class CheckpointTracker {
  private annotator: Annotator | undefined;
  private cardOf: Int16Array = new Int16Array(0);
  private nvidia: Uint8Array = new Uint8Array(0);
  private lastSec: Float64Array = new Float64Array(0);
  private lastUsec: Float64Array = new Float64Array(0);
  private readonly acc = newAccess();
  private lastRow = new Int32Array(0);
  /** Device indices of the annotated cards, in card order (stored beside the checkpoints). */
  annotatedDevices: number[] = [];

  constructor(private readonly dbs: DatabaseChoice) {}

  private start(devices: readonly PciDevice[]): void {
    const { cards, cardOf } = chooseCards(devices, this.dbs);
    this.cardOf = cardOf;
    this.nvidia = Uint8Array.from(cards, (c) => (c.kind === "nvidia" ? 1 : 0));
    this.lastSec = new Float64Array(cards.length).fill(-1);
    this.lastUsec = new Float64Array(cards.length);
    this.annotatedDevices = [];
    cardOf.forEach((c, d) => {
      if (c >= 0) this.annotatedDevices[c] = d;
    });
    this.annotator = new Annotator(cards, discardSink, {
      identify: traceIdentify,
      chipName: (c) => chipsetName(c) ?? undefined,
    });
  }

  /** Follows rows [from, to) of a batch. */
  feed(b: TraceBatch, devices: readonly PciDevice[], from: number, to: number): void {
    const { kind, device, bar, offsetLo, offsetHi } = b;
    let i = from;
    if (!this.annotator) {
      while (i < to && kind[i] !== EventKind.READ && kind[i] !== EventKind.WRITE) i++;
      if (i === to) return;
      this.start(devices);
    }
    // Locals, not fields, in the loop: the annotator call below would make V8 reload them.
    const cardOf = this.cardOf;
    const nvidia = this.nvidia;
    const cards = cardOf.length;
    // Last access row per card, written into the timestamps once after the loop.
    const lastRow = this.lastRow.length >= nvidia.length ? this.lastRow : new Int32Array(nvidia.length);
    this.lastRow = lastRow;
    lastRow.fill(-1);
    for (; i < to; i++) {
      const k = kind[i]!;
      if (k !== EventKind.READ && k !== EventKind.WRITE) continue;
      const dev = device[i]!;
      const card = dev >= 0 && dev < cards ? cardOf[dev]! : -1;
      if (card < 0) continue;
      lastRow[card] = i;
      if (nvidia[card] !== 1 || bar[i] !== 0 || offsetHi[i] !== 0) continue;
      const off = offsetLo[i]!;
      if (!changesDecoderState(off)) continue;
      const a = this.acc;
      a.card = card;
      a.sec = b.sec[i]!;
      a.usec = b.usec[i]!;
      a.width = b.width[i]!;
      a.write = k === EventKind.WRITE;
      a.bar = 0;
      a.offset = off;
      a.valueLo = b.valueLo[i]!;
      a.valueHi = b.valueHi[i]!;
      this.annotator!.access(a);
    }
    for (let c = 0; c < nvidia.length; c++) {
      const row = lastRow[c]!;
      if (row < 0) continue;
      this.lastSec[c] = b.sec[row]!;
      this.lastUsec[c] = b.usec[row]!;
    }
  }

  /** The state before the next event; null while no access was seen (the initial state). */
  snapshot(): AnnotatorState | null {
    if (!this.annotator) return null;
    const state = this.annotator.snapshot();
    state.cards.forEach((c, i) => {
      if (this.lastSec[i]! >= 0) {
        c.lastSec = this.lastSec[i]!;
        c.lastUsec = this.lastUsec[i]!;
      }
    });
    return state;
  }
}
