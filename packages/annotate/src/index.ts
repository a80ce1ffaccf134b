export type { Access } from "./access";
export { newAccess } from "./access";
export type { AnnotatorOptions } from "./annotator";
export { Annotator, changesDecoderState, discardSink } from "./annotator";
export type { CardSpec } from "./card";
export { type CliIo, runCli, UsageError } from "./cli";
export { DemmioWriter, type DemmioWriterOptions } from "./demmio-writer";
export { chooseCards, type DatabaseChoice, type DeviceInfo } from "./devices";
export { basicIdentify, type ChipIdentifier, isNv50Plus } from "./identify";
export { openTraceFile } from "./input";
export type { AnnotationSink } from "./sink";
export type { AnnotatorState, CardState, I2cBusState } from "./state";
export {
  Piece,
  pieces,
  plainAscii,
  putAscii,
  putDec,
  putDecPad,
  putHex,
  putHex64,
  putPiece,
  TextBuffer,
  type TextFormat,
} from "./text-buffer";
export { type CardDescription, TraceAnnotator, traceIdentify } from "./trace-annotator";
