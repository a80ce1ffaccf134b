import { readFileSync } from "node:fs";
import { join } from "node:path";
import { openEnvytoolsDatabase } from "@mmiohub/rnndb";
import { createParser, type PciDevice, type TraceBatch } from "@mmiohub/trace";
import { type DatabaseChoice, TraceAnnotator } from "../src/index";

const shared = process.env.MMIOHUB_SHARED;
const rnndb = process.env.MMIOHUB_RNNDB;
if (!shared || !rnndb) throw new Error("MMIOHUB_SHARED and MMIOHUB_RNNDB are set by vitest.config.ts");

export const nvidia = openEnvytoolsDatabase(rnndb);

export function sample(name: string): string {
  return readFileSync(join(shared!, "samples", name), "utf8");
}

export function samplePath(name: string): string {
  return join(shared!, "samples", name);
}

/** The whole trace as one batch plus its device table. */
export function parseAll(text: string): { batch: TraceBatch; devices: readonly PciDevice[] } {
  let batch: TraceBatch | undefined;
  const parser = createParser({ batchSize: 1 << 20, onBatch: (b) => (batch = b) });
  parser.feed(Buffer.from(text));
  parser.end();
  return { batch: batch!, devices: parser.devices() };
}

export function annotate(text: string, dbs: DatabaseChoice = { nvidia }): string {
  const { batch, devices } = parseAll(text);
  const t = new TraceAnnotator(dbs);
  t.batch(batch, devices);
  t.end();
  return t.writer.take();
}

export function lines(text: string): string[] {
  return text.split("\n").slice(0, -1);
}
