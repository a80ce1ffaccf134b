import { parseArgs } from "node:util";
import { CliError, EXIT_USAGE } from "./commands/cli-error";
import { collectCommand } from "./commands/collect-command";
import { doctorCommand } from "./commands/doctor-command";
import { packCommand } from "./commands/pack-command";
import { markCommand, recordCommand } from "./commands/record-command";
import { submitCommand } from "./commands/submit-command";
import { queueFlushCommand, queueListCommand, uploadCommand } from "./commands/upload-command";
import { ConfigError, loadConfig } from "./config";
import { createConsoleUi, type Ui } from "./ui";
import { AGENT_VERSION } from "./version";

export const HELP = `mmiohub-agent ${AGENT_VERSION}: record an mmiotrace of the NVIDIA driver, describe it and send it to mmiohub

Usage: mmiohub-agent <command> [options]

Commands:
  doctor [--fix] [--out DIR]      check everything that decides whether a trace will be good
  record [--out DIR] [--run CMD]... [--phase TEXT]... [--duration S] [--force]
                                  record a trace; without --run/--phase/--duration: guided phases
                                  on a terminal, or until Ctrl-C/SIGTERM otherwise
  mark TEXT                       add a marker to the running recording (from another shell)
  collect [--dir DIR] [--description TEXT | --description-file F] [--include-hostname] [--yes]
                                  write DIR/metadata.json and DIR/description.txt, show them
  pack [--dir DIR] [--output FILE]
                                  make a .tar.xz of trace, metadata.json and description.txt
  upload ARCHIVE [--method tus|multipart] [--contact-email E]
                                  send an archive (resumable); kept in the local queue on failure
  queue list | queue flush        the archives waiting to be sent
  submit [record options] [collect options] [--yes]
                                  record -> collect -> pack -> upload in one go

Options for every command:
  --server URL    (env MMIOHUB_SERVER)    --token T (env MMIOHUB_TOKEN)
  --config FILE   (env MMIOHUB_AGENT_CONFIG; default ~/.config/mmiohub/agent.json, /etc/mmiohub/agent.json)
  --queue-dir DIR (env MMIOHUB_QUEUE_DIR)  --buffer-kb N (env MMIOHUB_BUFFER_KB, default 128000)
  --tracefs DIR   (env MMIOHUB_TRACEFS; default /sys/kernel/tracing, then /sys/kernel/debug/tracing)
  --sysfs DIR     (env MMIOHUB_SYSFS, default /sys)   --procfs DIR (env MMIOHUB_PROCFS, default /proc)
  -h, --help      -V, --version

Exit status: 0 ok, 1 failure, 2 usage, 3 events were lost, 4 archive queued (not sent).
`;

const GLOBAL = {
  server: { type: "string" },
  token: { type: "string" },
  config: { type: "string" },
  "queue-dir": { type: "string" },
  tracefs: { type: "string" },
  sysfs: { type: "string" },
  procfs: { type: "string" },
  "buffer-kb": { type: "string" },
  help: { type: "boolean", short: "h" },
  version: { type: "boolean", short: "V" },
} as const;

const RECORD = {
  out: { type: "string" },
  run: { type: "string", multiple: true },
  phase: { type: "string", multiple: true },
  duration: { type: "string" },
  force: { type: "boolean" },
} as const;

const COLLECT = {
  dir: { type: "string" },
  description: { type: "string" },
  "description-file": { type: "string" },
  "include-hostname": { type: "boolean" },
  yes: { type: "boolean", short: "y" },
} as const;

const UPLOAD = {
  method: { type: "string" },
  "contact-email": { type: "string" },
  "chunk-size": { type: "string" },
  retries: { type: "string" },
} as const;

const OPTIONS = {
  doctor: { ...GLOBAL, fix: { type: "boolean" }, out: { type: "string" } },
  record: { ...GLOBAL, ...RECORD },
  mark: GLOBAL,
  collect: { ...GLOBAL, ...COLLECT },
  pack: { ...GLOBAL, dir: { type: "string" }, output: { type: "string" } },
  upload: { ...GLOBAL, ...UPLOAD },
  queue: { ...GLOBAL, ...UPLOAD },
  submit: { ...GLOBAL, ...RECORD, ...COLLECT, ...UPLOAD, output: { type: "string" } },
} as const;

type Command = keyof typeof OPTIONS;

function numberOption(value: string | undefined, name: string, min = 1): number | undefined {
  if (value === undefined) return undefined;
  const number = Number(value);
  if (!Number.isFinite(number) || number < min) {
    throw new CliError("USAGE", `--${name} needs a number >= ${min}`, EXIT_USAGE);
  }
  return number;
}

export async function main(argv: string[], ui: Ui = createConsoleUi()): Promise<number> {
  const name = argv[0];
  if (name === undefined || name === "-h" || name === "--help" || name === "help") {
    ui.info(HELP);
    return name === undefined ? EXIT_USAGE : 0;
  }
  if (name === "-V" || name === "--version") {
    ui.info(AGENT_VERSION);
    return 0;
  }
  if (!(name in OPTIONS)) {
    ui.warn(`unknown command '${name}'; see mmiohub-agent --help`);
    return EXIT_USAGE;
  }
  const command = name as Command;
  try {
    const { values: v, positionals } = parseArgs({
      args: argv.slice(1),
      options: OPTIONS[command],
      allowPositionals: true,
      strict: true,
    });
    const values = v as Record<string, string | string[] | boolean | undefined>;
    if (values.help) {
      ui.info(HELP);
      return 0;
    }
    const config = loadConfig(values as Parameters<typeof loadConfig>[0]);
    const str = (key: string) => values[key] as string | undefined;
    const list = (key: string) => (values[key] as string[] | undefined) ?? [];
    const flag = (key: string) => values[key] === true;
    const recordArgs = () => ({
      out: str("out"),
      run: list("run"),
      phase: list("phase"),
      duration: numberOption(str("duration"), "duration"),
      force: flag("force"),
    });
    const collectArgs = (dir: string | undefined) => ({
      dir,
      description: str("description"),
      descriptionFile: str("description-file"),
      includeHostname: flag("include-hostname"),
      yes: flag("yes"),
    });
    const uploadArgs = () => ({
      method: (str("method") ?? "tus") as "tus" | "multipart",
      contactEmail: str("contact-email"),
      chunkSize: numberOption(str("chunk-size"), "chunk-size"),
      retries: numberOption(str("retries"), "retries", 0),
    });
    switch (command) {
      case "doctor":
        return await doctorCommand(config, { fix: flag("fix"), out: str("out") }, ui);
      case "record":
        await recordCommand(config, recordArgs(), ui);
        return 0;
      case "mark": {
        if (positionals.length === 0) throw new CliError("USAGE", "mark needs a text", EXIT_USAGE);
        markCommand(config, positionals.join(" "));
        return 0;
      }
      case "collect":
        await collectCommand(config, collectArgs(str("dir")), ui);
        return 0;
      case "pack":
        packCommand({ dir: str("dir"), output: str("output") }, ui);
        return 0;
      case "upload": {
        const archive = positionals[0];
        if (archive === undefined)
          throw new CliError("USAGE", "upload needs the archive to send", EXIT_USAGE);
        return await uploadCommand(config, archive, uploadArgs(), ui);
      }
      case "queue": {
        const sub = positionals[0];
        if (sub === "list") return queueListCommand(config, ui);
        if (sub === "flush") return await queueFlushCommand(config, uploadArgs(), ui);
        throw new CliError("USAGE", "queue needs 'list' or 'flush'", EXIT_USAGE);
      }
      case "submit":
        return await submitCommand(
          config,
          {
            record: recordArgs(),
            collect: collectArgs(undefined),
            upload: uploadArgs(),
            output: str("output"),
          },
          ui,
        );
    }
  } catch (error) {
    if (error instanceof CliError) {
      ui.warn(`${error.message} [${error.code}]`);
      return error.exitCode;
    }
    if (error instanceof ConfigError) {
      ui.warn(error.message);
      return EXIT_USAGE;
    }
    if (
      (error as NodeJS.ErrnoException).code === "ERR_PARSE_ARGS_UNKNOWN_OPTION" ||
      (error as NodeJS.ErrnoException).code?.startsWith("ERR_PARSE_ARGS")
    ) {
      ui.warn(`${(error as Error).message}; see mmiohub-agent --help`);
      return EXIT_USAGE;
    }
    throw error;
  }
}
