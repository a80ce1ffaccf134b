import type { AgentConfig } from "../config";
import type { Ui } from "../ui";
import { CliError, EXIT_QUEUED } from "./cli-error";
import { type CollectArgs, collectCommand } from "./collect-command";
import { packCommand } from "./pack-command";
import { defaultOutDir, type RecordArgs, recordCommand } from "./record-command";
import { type UploadArgs, uploadArchive } from "./upload-command";

export interface SubmitArgs {
  record: RecordArgs;
  collect: CollectArgs;
  upload: UploadArgs;
  output: string | undefined;
}

/** The common case in one go; each stage leaves its files, so a failure can resume by hand. */
export async function submitCommand(config: AgentConfig, args: SubmitArgs, ui: Ui): Promise<number> {
  const out = args.record.out ?? defaultOutDir();
  ui.info("== 1/4 record");
  await recordCommand(config, { ...args.record, out }, ui);
  ui.info("== 2/4 collect");
  const collected = await collectCommand(config, { ...args.collect, dir: out }, ui);
  ui.info("== 3/4 pack");
  const packed = packCommand({ dir: collected.dir, output: args.output }, ui);
  if (!args.collect.yes) {
    const answer = await ui.ask(
      `Send ${packed.archive} with the metadata and description above to ${config.server}? [y/N] `,
    );
    if (answer === null || !/^y/i.test(answer.trim())) {
      if (answer === null && !ui.interactive) {
        throw new CliError("NOT_CONFIRMED", "not sent: pass --yes to send without asking", EXIT_QUEUED);
      }
      ui.info(`not sent; send it later with: mmiohub-agent upload ${packed.archive}`);
      return EXIT_QUEUED;
    }
  }
  ui.info("== 4/4 upload");
  return (await uploadArchive(config, packed.archive, args.upload, ui)).code;
}
