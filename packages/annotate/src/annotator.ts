import type { Access } from "./access";
import { type CardSpec, CardView } from "./card";
import { I2C_BUS_REGISTERS, i2cBus, i2cRead, i2cWrite } from "./i2c";
import { basicIdentify, type ChipIdentifier, isNv50Plus } from "./identify";
import type { AnnotationSink } from "./sink";
import { type AnnotatorState, type CardState, cloneState, initialCardState } from "./state";

export interface AnnotatorOptions {
  /** PMC_BOOT_0 -> chip; defaults to the bare NV10+ rule */
  identify?: ChipIdentifier;
  /** chipset id -> code name, for the note on chips the database lacks */
  chipName?: (chipset: number) => string | undefined;
}

const PRAMIN_BASE_REG = 0x1700;
const PRAMIN_START = 0x700000;
const PRAMIN_END = 0x800000;
const CRTC_INDEX = [0x6013d4, 0x6033d4];
const CRTC_DATA = [0x6013d5, 0x6033d5];
const SLEEP_US = 100;
const I2C_LINE_MAX = 1024;

/** A sink that keeps nothing: output of catch-up work nobody reads (`follow`, checkpoints). */
export const discardSink: AnnotationSink = {
  sleep() {},
  register() {},
  registerByte() {},
  memory() {},
  aperture() {},
  crtc() {},
  i2c() {},
};

/**
 * Whether an access to this BAR0 offset of an NVIDIA card can change the decoders' state:
 * PMC_BOOT_0 (identification), the PRAMIN base, the VGA CRTC index registers and the I2C bus
 * registers. For any other access, following a trace needs only the card's last access time (the
 * SLEEP gaps): the ingest's checkpoint tracker feeds the annotator these alone.
 */
export function changesDecoderState(off: number): boolean {
  return (
    off === 0 ||
    off === PRAMIN_BASE_REG ||
    off === CRTC_INDEX[0] ||
    off === CRTC_INDEX[1] ||
    (off & 0xfff000) === 0xe000
  );
}

/** Whether a BAR0 offset is one of the NVIDIA decoders' (it may change their state, or is decoded by them). */
function decoderRegister(off: number): boolean {
  return (
    changesDecoderState(off) ||
    off === CRTC_DATA[0] ||
    off === CRTC_DATA[1] ||
    (off >= PRAMIN_START && off < PRAMIN_END)
  );
}

/**
 * demmio's job on plain numbers: names and decodes each access, and runs the indirect decoders
 * (PRAMIN window, VGA CRTC index/data, I2C bit-banging, SLEEP gaps) whose whole state is the
 * small JSON value `snapshot()` returns, so any range of a trace can be annotated from a
 * checkpoint without replaying what came before.
 */
export class Annotator {
  private readonly views: CardView[];
  private state: AnnotatorState;
  private readonly identify: ChipIdentifier;
  private readonly chipName: (chipset: number) => string | undefined;

  constructor(
    cards: readonly CardSpec[],
    private sink: AnnotationSink,
    options: AnnotatorOptions = {},
  ) {
    this.identify = options.identify ?? basicIdentify;
    this.chipName = options.chipName ?? (() => undefined);
    this.views = cards.map((spec) => new CardView(spec));
    this.state = { version: 1, cards: cards.map((c) => initialCardState(c.forcedChipset ?? null)) };
    for (let i = 0; i < this.views.length; i++) this.select(i);
  }

  /** The decoders' state after the last access: store it to resume here later. */
  snapshot(): AnnotatorState {
    return cloneState(this.state);
  }

  /** Resumes from a snapshot taken by an annotator with the same cards. */
  restore(state: AnnotatorState): void {
    if (state.version !== 1 || state.cards.length !== this.views.length)
      throw new Error("annotator state does not belong to this trace's cards");
    this.state = cloneState(state);
    this.views.forEach((v, i) => {
      const forced = v.spec.forcedChipset;
      if (forced !== undefined) this.state.cards[i]!.chipset = forced;
      this.select(i);
    });
  }

  /** The chipset a card was identified as (or forced to), or null. */
  chipset(card: number): number | null {
    return this.state.cards[card]?.chipset ?? null;
  }

  private select(card: number): void {
    const chipset = this.state.cards[card]!.chipset;
    this.views[card]!.select(chipset, chipset === null ? undefined : this.chipName(chipset));
  }

  access(a: Access): void {
    const view = this.views[a.card];
    const st = this.state.cards[a.card];
    if (!view || !st) throw new RangeError(`no card ${a.card}`);
    this.sleepLine(a, st);
    if (a.bar !== 0) {
      this.sink.aperture(a, a.bar === 1 ? "FB" : a.bar === 2 || a.bar === 3 ? "RAMIN" : "BAR");
      return;
    }
    if (view.spec.kind === "nvidia" && this.nvidia(a, view, st)) return;
    this.plain(a, view);
  }

  /**
   * What `access` does to the decoders' state, without its output: catching up from a checkpoint
   * to the start of a range. Most accesses only move the card's last access time; no register
   * lookup, decode or text for any of them.
   */
  follow(a: Access): void {
    const view = this.views[a.card];
    const st = this.state.cards[a.card];
    if (!view || !st) throw new RangeError(`no card ${a.card}`);
    st.lastSec = a.sec;
    st.lastUsec = a.usec;
    if (a.bar !== 0 || view.spec.kind !== "nvidia" || !decoderRegister(a.offset)) return;
    const sink = this.sink;
    this.sink = discardSink;
    try {
      this.nvidia(a, view, st);
    } finally {
      this.sink = sink;
    }
  }

  private sleepLine(a: Access, st: CardState): void {
    if (st.lastSec !== null && !st.sleepOff) {
      const gap = (a.sec - st.lastSec) * 1_000_000 + (a.usec - st.lastUsec);
      if (gap > SLEEP_US) this.sink.sleep(a.card, gap);
    }
    st.lastSec = a.sec;
    st.lastUsec = a.usec;
  }

  /** The NVIDIA-specific decoders; true when the access was fully handled. */
  private nvidia(a: Access, view: CardView, st: CardState): boolean {
    const off = a.offset;
    // Most accesses touch none of the decoders' registers: leave through one cheap test.
    if (!decoderRegister(off)) return false;
    const value = a.valueLo;
    if (off === 0 && !a.write && st.chipset === null) {
      const chip = this.identify(value);
      if (chip) {
        st.chipset = chip.chipset;
        this.select(a.card);
      }
    }
    const nv50 = isNv50Plus(st.chipset);
    if (nv50 && off === PRAMIN_BASE_REG) st.praminBase = value * 0x10000;
    for (let head = 0; head < 2; head++) {
      if (off === CRTC_INDEX[head]) {
        st.crx[head] = value & 0xff;
        if (a.write && a.width >= 2) {
          // An index+data pair written at once: demmio misses the data half.
          this.plain(a, view);
          this.crtc(a, view, head, (value >>> 8) & 0xff);
          return true;
        }
      } else if (off === CRTC_DATA[head]) {
        this.crtc(a, view, head, value & 0xff);
        return true;
      }
    }
    if (nv50) {
      const bus = i2cBus(off);
      if (bus >= 0) {
        this.i2c(a, view, st, bus);
        return true;
      }
      if (off >= PRAMIN_START && off < PRAMIN_END) {
        this.sink.memory(a, st.praminBase + off - PRAMIN_START);
        return true;
      }
    }
    return false;
  }

  private crtc(a: Access, view: CardView, head: number, data: number): void {
    const index = this.state.cards[a.card]!.crx[head]!;
    this.sink.crtc(a, head, index, data, view.crtc?.lookup(index));
  }

  private i2c(a: Access, view: CardView, st: CardState, bus: number): void {
    const s = st.i2c[bus]!;
    if ((s.text?.length ?? 0) > I2C_LINE_MAX) {
      // A bus toggled for long without a STOP (or a broken trace): keep lines and state bounded.
      this.sink.i2c(a.card, a.offset, view.mmio.lookup(a.offset).name, `${s.text} ...`);
      s.text = "... ";
    }
    if (!a.write) {
      i2cRead(s, a.valueLo);
      return;
    }
    const event = i2cWrite(s, a.valueLo);
    if (event === "start") st.sleepOff = true;
    if (event === "stop") {
      st.sleepOff = false;
      this.sink.i2c(a.card, a.offset, view.mmio.lookup(a.offset).name, s.text ?? "");
      s.text = null;
    }
  }

  /** Flushes I2C lines of transactions still open (end of trace or of a requested range). */
  finish(): void {
    this.state.cards.forEach((st, card) => {
      const view = this.views[card]!;
      st.i2c.forEach((s, bus) => {
        if (s.text === null || s.text === "") return;
        const off = I2C_BUS_REGISTERS[bus]!;
        this.sink.i2c(card, off, view.mmio.lookup(off).name, `${s.text}...`);
        s.text = null;
      });
    });
  }

  private plain(a: Access, view: CardView): void {
    const info = view.mmio.lookup(a.offset);
    const note = info.chipDependent ? view.note : undefined;
    if (a.width === 4 && info.width === 8) {
      // demmio splits a 32-bit access to 8-bit registers into one line per byte.
      this.sink.register(a, info, a.valueLo & 0xff, 0, note);
      for (let b = 1; b < 4; b++) {
        this.sink.registerByte(a, b, view.mmio.lookup(a.offset + b), (a.valueLo >>> (8 * b)) & 0xff);
      }
      return;
    }
    this.sink.register(a, info, a.valueLo, a.valueHi, note);
  }
}
