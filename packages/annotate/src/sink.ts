import type { Access } from "./access";

/**
 * What the annotator says about a trace, one call per output line. The demmio writer turns the
 * calls into demmio's text; a web view can keep them structured. The `Access` passed is reused by
 * the annotator: read it during the call, do not keep it.
 */
export interface AnnotationSink {
  /** more than 100 us passed since this card's previous access */
  sleep(card: number, gapUs: number): void;
  /** a register access: name (`PMC.ENABLE`, `0xa000` when unknown) and decoded value */
  register(a: Access, name: string, decoded: string, note: string | undefined): void;
  /** bytes 1-3 of a 32-bit access to 8-bit registers, which demmio splits into four lines */
  registerByte(a: Access, byte: number, name: string, decoded: string): void;
  /** an access through the PRAMIN window, at its VRAM address */
  memory(a: Access, vramAddress: number): void;
  /** an access to another BAR: `FB` (BAR1), `RAMIN` (BAR2/3), `BAR` (anything else) */
  aperture(a: Access, kind: "FB" | "RAMIN" | "BAR"): void;
  /** a VGA CRTC register reached through the index/data pair of head 0 or 1 */
  crtc(a: Access, head: number, index: number, data: number, name: string, decoded: string): void;
  /** one I2C transaction bit-banged on a bus register (emitted when it ends) */
  i2c(card: number, busOffset: number, busName: string, text: string): void;
}
