import type { Readable, Writable } from "node:stream";
import { openEnvytoolsDatabase, type RegisterDatabase } from "@mmiohub/rnndb";
import { createParser } from "@mmiohub/trace";
import { openTraceFile } from "./input";
import { TraceAnnotator } from "./trace-annotator";

const USAGE = `usage: mmiohub-annotate [-a CHIPSET] [-c] [-f FILE]
  -a CHIPSET  decode as this chipset (GK107, NVE7, 0xe7) whatever PMC_BOOT_0 says
  -c          no colours (accepted for demmio compatibility; output is never coloured)
  -f FILE     read FILE (.xz, .gz or plain text) instead of standard input
NVIDIA register names come from envytools' rnndb/ folder named by MMIOHUB_RNNDB.
`;

export class UsageError extends Error {
  readonly code = "USAGE";
}

export interface CliOptions {
  chipset?: string;
  file?: string;
}

export function parseArgs(argv: readonly string[]): CliOptions {
  const opts: CliOptions = {};
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    if (a === "-c") continue;
    if (a === "-a" || a === "-f") {
      const v = argv[++i];
      if (v === undefined) throw new UsageError(`${a} needs a value`);
      if (a === "-a") opts.chipset = v;
      else opts.file = v;
    } else if (a === "-h" || a === "--help") {
      throw new UsageError("");
    } else {
      throw new UsageError(`unknown argument ${a}`);
    }
  }
  return opts;
}

export interface CliIo {
  stdin: Readable;
  stdout: Writable;
  stderr: Writable;
  env: Record<string, string | undefined>;
}

/** Runs the command; resolves to the exit status. */
export async function runCli(argv: readonly string[], io: CliIo): Promise<number> {
  let opts: CliOptions;
  try {
    opts = parseArgs(argv);
  } catch (err) {
    io.stderr.write(`${(err as Error).message ? `${(err as Error).message}\n` : ""}${USAGE}`);
    return 2;
  }
  const dir = io.env.MMIOHUB_RNNDB;
  let nvidia: RegisterDatabase | undefined;
  if (dir) nvidia = openEnvytoolsDatabase(dir);
  else io.stderr.write("MMIOHUB_RNNDB is not set: NVIDIA registers will not be named\n");
  let forcedChipset: number | undefined;
  if (opts.chipset !== undefined) {
    const chip = nvidia?.chipByName(opts.chipset);
    if (!chip || chip.chipset === undefined) {
      io.stderr.write(`unknown chipset ${opts.chipset}\n`);
      return 2;
    }
    forcedChipset = chip.chipset;
  }
  const input = opts.file === undefined ? io.stdin : openTraceFile(opts.file);
  const annotator = new TraceAnnotator({ nvidia, forcedChipset });
  const parser = createParser({
    reuseBatches: true,
    onBatch: (b) => annotator.batch(b, parser.devices()),
    onError: (e) => io.stderr.write(`line ${e.line}: ${e.message}\n`),
  });
  const flush = async (): Promise<void> => {
    const bytes = annotator.writer.takeBytes();
    if (bytes.length && !io.stdout.write(bytes)) await new Promise((r) => io.stdout.once("drain", r));
  };
  for await (const chunk of input) {
    parser.feed(chunk as Uint8Array);
    if (annotator.writer.pending >= 1 << 16) await flush();
  }
  parser.end();
  annotator.end();
  await flush();
  return 0;
}
