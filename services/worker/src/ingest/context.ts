import type { DatabaseChoice } from "@mmiohub/annotate";
import { openEnvytoolsDatabase, type RegisterDatabase } from "@mmiohub/rnndb";
import type { Logger } from "pino";
import type { WorkerConfig } from "../env";
import { loadPciIds, type PciIds } from "../index-trace/pci-ids";
import { parserVersion } from "../index-trace/versions";

/** What indexing needs beyond the trace, loaded once per process and configuration. */
export interface IndexContext {
  parserVersion: string;
  pciIds: PciIds | null;
  /** The annotator's databases; envytools' is opened on first use (0.6 s), by a trace with an NVIDIA card. */
  databases: DatabaseChoice;
  /** Version of envytools' database once opened, else null. */
  rnndbVersion(): string | null;
}

const contexts = new WeakMap<WorkerConfig, Promise<IndexContext>>();

export function indexContext(config: WorkerConfig, log: Logger): Promise<IndexContext> {
  let ctx = contexts.get(config);
  if (!ctx) {
    ctx = build(config, log);
    contexts.set(config, ctx);
  }
  return ctx;
}

async function build(config: WorkerConfig, log: Logger): Promise<IndexContext> {
  const pciIds = await loadPciIds(config.PCI_IDS_PATH);
  if (!pciIds) log.warn({ path: config.PCI_IDS_PATH }, "no PCI id database: card names stay empty");
  let nvidia: RegisterDatabase | undefined;
  let tried = false;
  const databases: DatabaseChoice = {
    get nvidia() {
      if (!tried && config.MMIOHUB_RNNDB) {
        tried = true;
        try {
          nvidia = openEnvytoolsDatabase(config.MMIOHUB_RNNDB);
        } catch (err) {
          log.warn({ err, dir: config.MMIOHUB_RNNDB }, "cannot open envytools' rnndb: no NVIDIA checkpoints");
        }
      }
      return nvidia;
    },
  };
  return {
    parserVersion: parserVersion(),
    pciIds,
    databases,
    rnndbVersion: () => nvidia?.version ?? null,
  };
}
