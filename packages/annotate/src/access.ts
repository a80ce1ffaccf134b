/**
 * One register access as the annotator takes it: plain numbers, so any reader (the trace core's
 * columnar batches, a stored event range) can feed it without building objects.
 */
export interface Access {
  /** index of the card in the annotator's card list */
  card: number;
  sec: number;
  usec: number;
  /** bytes: 1, 2, 4 or 8 */
  width: number;
  write: boolean;
  /** PCI resource index the access fell in (0 = BAR0) */
  bar: number;
  /** offset inside that BAR */
  offset: number;
  valueLo: number;
  valueHi: number;
}

export function newAccess(): Access {
  return { card: 0, sec: 0, usec: 0, width: 4, write: false, bar: 0, offset: 0, valueLo: 0, valueHi: 0 };
}
