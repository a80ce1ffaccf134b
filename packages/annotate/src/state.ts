/**
 * Everything the indirect decoders carry from one event to the next, as plain JSON. The ingest
 * worker stores a snapshot every N events; annotating events N..M starts from the nearest one.
 */
export interface AnnotatorState {
  version: 1;
  cards: CardState[];
}

export interface CardState {
  /** chipset id once PMC_BOOT_0 was read (or forced), else null */
  chipset: number | null;
  /** PRAMIN window base (0x1700 << 16) */
  praminBase: number;
  /** VGA CRTC index of head 0 and head 1 */
  crx: [number, number];
  /** previous access time of this card, for SLEEP lines; null before the first access */
  lastSec: number | null;
  lastUsec: number;
  /** true from an I2C START to its STOP: demmio prints no SLEEP inside a transaction */
  sleepOff: boolean;
  i2c: I2cBusState[];
}

/** demmio's i2c_ctx plus the text of the transaction being decoded. */
export interface I2cBusState {
  last: number;
  aok: boolean;
  wr: boolean;
  bits: number;
  b: number;
  pend: boolean;
  /** text so far of the line being built; null when no access since the last line */
  text: string | null;
}

export const I2C_BUSES = 10;

export function initialCardState(chipset: number | null): CardState {
  return {
    chipset,
    praminBase: 0,
    crx: [0, 0],
    lastSec: null,
    lastUsec: 0,
    sleepOff: false,
    i2c: Array.from({ length: I2C_BUSES }, () => ({
      last: 7,
      aok: false,
      wr: false,
      bits: 0,
      b: 0,
      pend: false,
      text: null,
    })),
  };
}

/**
 * A deep copy, level by level (every field kept): the API copies a state two or three times per
 * served page, and structuredClone's serialization was a visible part of its profile.
 */
export function cloneState(s: AnnotatorState): AnnotatorState {
  return {
    ...s,
    cards: s.cards.map((c) => ({
      ...c,
      crx: [c.crx[0], c.crx[1]],
      i2c: c.i2c.map((b) => ({ ...b })),
    })),
  };
}
