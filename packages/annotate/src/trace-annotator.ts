import {
  chipsetName,
  decodeBoot0,
  EventKind,
  formatEvent,
  type PciDevice,
  type TraceBatch,
} from "@mmiohub/trace";
import { type Access, newAccess } from "./access";
import { Annotator } from "./annotator";
import type { CardSpec } from "./card";
import { DemmioWriter, type DemmioWriterOptions } from "./demmio-writer";
import { chooseCards, type DatabaseChoice } from "./devices";
import type { ChipIdentifier } from "./identify";
import type { AnnotatorState } from "./state";

export interface CardDescription {
  /** `[N]` in the text */
  card: number;
  /** index in the trace's device table */
  device: number;
  domain: string;
  databaseVersion: string;
  chipset: number | null;
  variant: string | undefined;
}

/** PMC_BOOT_0 through the trace core's identification (byte-swapped and pre-NV10 values too). */
export const traceIdentify: ChipIdentifier = (boot0) => {
  const d = decodeBoot0(boot0);
  return d
    ? { chipset: d.chipset, name: chipsetName(d.chipset) ?? `0x${d.chipset.toString(16)}` }
    : undefined;
};

/**
 * Annotates the trace core's batches into demmio text: accesses of annotated cards become
 * demmio lines, every other event passes through as its kernel line (nothing is dropped), and
 * lost-event markers are flagged. `onText` receives text in chunks.
 */
export class TraceAnnotator {
  readonly writer: DemmioWriter;
  private annotator: Annotator | undefined;
  private cardOf: Int16Array = new Int16Array(1).fill(-1);
  private specs: CardSpec[] = [];
  private readonly acc = newAccess();

  constructor(
    private readonly dbs: DatabaseChoice,
    writerOptions?: DemmioWriterOptions,
  ) {
    // A copy: start() sets multiCard on it, which must not reach the caller's object.
    this.writer = new DemmioWriter({ ...writerOptions });
  }

  /** The annotator, once the trace's device table is known. */
  get core(): Annotator | undefined {
    return this.annotator;
  }

  /** Annotates rows `from` (inclusive) to `to` (exclusive) of a batch. */
  batch(batch: TraceBatch, devices: readonly PciDevice[], from = 0, to = batch.length): void {
    const w = this.writer;
    for (let i = from; i < to; i++) {
      const kind = batch.kind[i]!;
      if (kind === EventKind.READ || kind === EventKind.WRITE) {
        if (!this.annotator) this.start(devices);
        const dev = batch.device[i]!;
        const card = dev >= 0 ? this.cardOf[dev]! : -1;
        if (card < 0) {
          w.raw(formatEvent(batch, i));
          continue;
        }
        this.annotator!.access(this.accessOf(batch, i, card, kind === EventKind.WRITE));
      } else {
        w.raw(formatEvent(batch, i));
        if (kind === EventKind.LOST || kind === EventKind.CPU_LOST) w.lost(batch.valueLo[i]!);
      }
    }
  }

  /**
   * Rows `from` to `to` (exclusive) of a batch for the decoders' state only, with no text: what
   * `batch` followed by a discarded `writer.take()` leaves behind, at a fraction of its cost.
   */
  skip(batch: TraceBatch, devices: readonly PciDevice[], from = 0, to = batch.length): void {
    const { kind, device } = batch;
    for (let i = from; i < to; i++) {
      const k = kind[i]!;
      if (k !== EventKind.READ && k !== EventKind.WRITE) continue;
      if (!this.annotator) this.start(devices);
      const dev = device[i]!;
      const card = dev >= 0 ? this.cardOf[dev]! : -1;
      if (card < 0) continue;
      this.annotator!.follow(this.accessOf(batch, i, card, k === EventKind.WRITE));
    }
  }

  /** Row `i` of a batch (an access of annotated card `card`) as the one Access object, filled in. */
  private accessOf(batch: TraceBatch, i: number, card: number, write: boolean): Access {
    const acc = this.acc;
    acc.card = card;
    acc.sec = batch.sec[i]!;
    acc.usec = batch.usec[i]!;
    acc.width = batch.width[i]!;
    acc.write = write;
    acc.bar = batch.bar[i]!;
    acc.offset = batch.offsetHi[i]! * 0x100000000 + batch.offsetLo[i]!;
    acc.valueLo = batch.valueLo[i]!;
    acc.valueHi = batch.valueHi[i]!;
    return acc;
  }

  /** Ends the trace: open I2C transactions are printed as they stand. */
  end(): void {
    this.annotator?.finish();
  }

  /** The decoders' state after the last event: a checkpoint to resume from with `restore`. */
  snapshot(devices: readonly PciDevice[]): AnnotatorState {
    if (!this.annotator) this.start(devices);
    return this.annotator!.snapshot();
  }

  /** Resumes at a checkpoint taken (by `snapshot`) on the same trace. */
  restore(devices: readonly PciDevice[], state: AnnotatorState): void {
    if (!this.annotator) this.start(devices);
    this.annotator!.restore(state);
  }

  /**
   * What annotated each card, for a view to show beside the text: the device, the database's
   * version, the chipset and the database's name for it (undefined when the database lacks it).
   */
  describeCards(devices: readonly PciDevice[]): CardDescription[] {
    if (!this.annotator) this.start(devices);
    const out: CardDescription[] = [];
    this.cardOf.forEach((card, device) => {
      if (card < 0) return;
      const spec = this.specs[card]!;
      const chipset = this.annotator!.chipset(card);
      out.push({
        card,
        device,
        domain: spec.domain,
        databaseVersion: spec.database.version,
        chipset,
        variant:
          chipset === null || spec.kind !== "nvidia" ? undefined : spec.database.chipVariant(chipset).name,
      });
    });
    return out;
  }

  private start(devices: readonly PciDevice[]): void {
    const { cards, cardOf } = chooseCards(devices, this.dbs);
    this.cardOf = cardOf;
    this.specs = cards;
    this.writer.options.multiCard = cards.length > 1;
    this.annotator = new Annotator(cards, this.writer, {
      identify: traceIdentify,
      chipName: (c) => chipsetName(c) ?? undefined,
    });
  }
}
