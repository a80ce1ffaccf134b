import { spawnSync } from "node:child_process";
import { existsSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { collectMetadata, type Metadata } from "../collect";
import type { AgentConfig } from "../config";
import {
  DESCRIPTION_FILE,
  METADATA_FILE,
  RECORDING_FILE,
  type RecordingInfo,
  recordingInfoSchema,
} from "../recording-info";
import type { Ui } from "../ui";
import { CliError } from "./cli-error";

export interface CollectArgs {
  dir: string | undefined;
  description: string | undefined;
  descriptionFile: string | undefined;
  includeHostname: boolean;
  yes: boolean;
}

const TEMPLATE = `
# Describe the trace for the nouveau developers: which card and monitor(s), what you did while
# recording (loaded the driver, started X, changed modes, ...), anything that went wrong.
# Lines starting with # are removed.
`;

/** The recording directory: --dir, or the newest mmiotrace-* directory here, or here. */
export function recordingDir(dir: string | undefined): string {
  if (dir !== undefined) return resolve(dir);
  const candidates = readdirSync(".")
    .filter((name) => name.startsWith("mmiotrace-") && existsSync(join(name, RECORDING_FILE)))
    .sort((a, b) => statSync(b).mtimeMs - statSync(a).mtimeMs);
  return resolve(candidates[0] ?? ".");
}

export function readRecording(dir: string): RecordingInfo | null {
  const path = join(dir, RECORDING_FILE);
  if (!existsSync(path)) return null;
  return recordingInfoSchema.parse(JSON.parse(readFileSync(path, "utf8")));
}

function fromEditor(env: NodeJS.ProcessEnv): string | null {
  const editor = env.VISUAL ?? env.EDITOR ?? "vi";
  const file = join(tmpdir(), `mmiohub-description-${process.pid}.txt`);
  writeFileSync(file, TEMPLATE);
  try {
    const result = spawnSync("sh", ["-c", `${editor} "$1"`, "editor", file], { stdio: "inherit" });
    if (result.status !== 0) return null;
    return readFileSync(file, "utf8");
  } finally {
    rmSync(file, { force: true });
  }
}

async function description(args: CollectArgs, ui: Ui): Promise<string> {
  let text: string | null = null;
  if (args.description !== undefined) text = args.description;
  else if (args.descriptionFile !== undefined) text = readFileSync(args.descriptionFile, "utf8");
  else if (ui.interactive) text = fromEditor(process.env);
  const cleaned = (text ?? "")
    .split("\n")
    .filter((line) => !line.startsWith("#"))
    .join("\n")
    .trim();
  if (cleaned === "")
    ui.warn("no description: say what you did while recording with --description or --description-file");
  return cleaned;
}

export async function collectCommand(
  config: AgentConfig,
  args: CollectArgs,
  ui: Ui,
): Promise<{ dir: string; metadata: Metadata; description: string }> {
  const dir = recordingDir(args.dir);
  if (!existsSync(dir)) throw new CliError("NO_RECORDING", `${dir} does not exist`);
  const recording = readRecording(dir);
  if (recording === null) ui.warn(`no ${RECORDING_FILE} in ${dir}: metadata without recording details`);
  const metadata = collectMetadata(
    {
      sysRoot: config.sysRoot,
      procRoot: config.procRoot,
      etcRoot: config.etcRoot,
      includeHostname: args.includeHostname,
      env: process.env,
    },
    recording,
  );
  const text = await description(args, ui);
  writeFileSync(join(dir, METADATA_FILE), `${JSON.stringify(metadata, null, 2)}\n`);
  writeFileSync(join(dir, DESCRIPTION_FILE), text === "" ? "" : `${text}\n`);
  // The user sees everything that will be sent.
  ui.info(`--- ${join(dir, METADATA_FILE)} ---`);
  ui.info(JSON.stringify(metadata, null, 2));
  ui.info(`--- ${join(dir, DESCRIPTION_FILE)} ---`);
  ui.info(text === "" ? "(empty)" : text);
  ui.info(`--- edit these files before 'pack' if anything should not be sent ---`);
  return { dir, metadata, description: text };
}
