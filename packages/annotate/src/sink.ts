import type { AddressInfo } from "@mmiohub/rnndb";
import type { Access } from "./access";

/**
 * What the annotator says about a trace, one call per output line. The demmio writer turns the
 * calls into demmio's text; a web view can keep them structured. Register values are passed with
 * their `AddressInfo` (name, width, type): `decodeValue(reg.type, lo, hi, reg.width)` from
 * `@mmiohub/rnndb` gives the decoded text, and the demmio writer decodes straight into its
 * output. The `Access` passed is reused by the annotator: read it during the call, do not keep it.
 */
export interface AnnotationSink {
  /** more than 100 us passed since this card's previous access */
  sleep(card: number, gapUs: number): void;
  /**
   * a register access; `reg.name` is `PMC.ENABLE`, or the bare offset (`0xa000`) when unknown.
   * `lo`/`hi` is the value to decode: the access's value, or its first byte when demmio splits
   * a 32-bit access to 8-bit registers. `note` marks chip-dependent decodes.
   */
  register(a: Access, reg: AddressInfo, lo: number, hi: number, note: string | undefined): void;
  /** byte 1-3 of a 32-bit access to 8-bit registers (demmio prints one line per byte) */
  registerByte(a: Access, byte: number, reg: AddressInfo, value: number): void;
  /** an access through the PRAMIN window, at its VRAM address */
  memory(a: Access, vramAddress: number): void;
  /** an access to another BAR: `FB` (BAR1), `RAMIN` (BAR2/3), `BAR` (anything else) */
  aperture(a: Access, kind: "FB" | "RAMIN" | "BAR"): void;
  /**
   * a VGA CRTC register reached through the index/data pair of head 0 or 1; `reg` is undefined
   * when the database has no NV_CR domain
   */
  crtc(a: Access, head: number, index: number, data: number, reg: AddressInfo | undefined): void;
  /** one I2C transaction bit-banged on a bus register (emitted when it ends) */
  i2c(card: number, busOffset: number, busName: string, text: string): void;
}
