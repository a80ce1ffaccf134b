// Re-runs the ingest pipeline for one submission, a filter, or everything:
//   npx tsx services/worker/src/cli/reprocess.ts --id abc123 [--id ...]
//   npx tsx services/worker/src/cli/reprocess.ts --code-name GK107 --status done
//   npx tsx services/worker/src/cli/reprocess.ts --older-parser      (traces read by another parser)
//   npx tsx services/worker/src/cli/reprocess.ts --all [--dry-run]
// Reads DATABASE_URL, REDIS_URL and QUEUE_PREFIX like the worker. Running workers do the work.
import { parseArgs } from "node:util";
import { ConfigError } from "@mmiohub/config";
import { createPrisma } from "@mmiohub/db";
import { createQueue, redisConnection } from "@mmiohub/jobs";
import { loadWorkerEnv } from "../env";
import { parserVersion } from "../index-trace/versions";
import { type ReprocessFilter, reprocess } from "../reprocess";

const USAGE = `usage: reprocess.ts [--id ID]... [--status done|failed]... [--code-name NAME] [--family NAME]
                    [--pci-id VVVV:DDDD] [--older-parser] [--rnndb-other-than VERSION]
                    [--created-after DATE] [--created-before DATE] [--all] [--dry-run]`;

function fail(message: string): never {
  process.stderr.write(`reprocess: ${message}\n${USAGE}\n`);
  process.exit(2);
}

let args: ReturnType<typeof parse>;
function parse() {
  return parseArgs({
    options: {
      id: { type: "string", multiple: true },
      status: { type: "string", multiple: true },
      "code-name": { type: "string" },
      family: { type: "string" },
      "pci-id": { type: "string" },
      "older-parser": { type: "boolean" },
      "rnndb-other-than": { type: "string" },
      "created-after": { type: "string" },
      "created-before": { type: "string" },
      all: { type: "boolean" },
      "dry-run": { type: "boolean" },
      help: { type: "boolean", short: "h" },
    },
  });
}
try {
  args = parse();
} catch (err) {
  fail((err as Error).message);
}
const v = args.values;
if (v.help) {
  process.stdout.write(`${USAGE}\n`);
  process.exit(0);
}
const date = (s: string | undefined) => {
  if (s === undefined) return undefined;
  const d = new Date(s);
  if (Number.isNaN(d.getTime())) fail(`not a date: ${s}`);
  return d;
};
for (const s of v.status ?? [])
  if (s !== "done" && s !== "failed") fail(`--status must be done or failed, not ${s}`);
if (v["pci-id"] && !/^[0-9a-f]{4}:[0-9a-f]{4}$/i.test(v["pci-id"])) fail("--pci-id must look like 10de:0fc6");
const filter: ReprocessFilter = {
  ids: v.id,
  status: v.status as ReprocessFilter["status"],
  codeName: v["code-name"],
  family: v.family,
  pciId: v["pci-id"],
  parserOtherThan: v["older-parser"] ? parserVersion() : undefined,
  rnndbOtherThan: v["rnndb-other-than"],
  createdAfter: date(v["created-after"]),
  createdBefore: date(v["created-before"]),
  all: v.all,
};

let config: ReturnType<typeof loadWorkerEnv>;
try {
  config = loadWorkerEnv();
} catch (err) {
  fail(err instanceof ConfigError ? err.message : String(err));
}
const prisma = createPrisma(config.DATABASE_URL, { max: 2 });
const queue = createQueue("ingest", redisConnection(config.REDIS_URL, "producer"), config.QUEUE_PREFIX);
try {
  const { ids } = await reprocess(prisma, queue, filter, { dryRun: v["dry-run"] });
  process.stdout.write(
    `${v["dry-run"] ? "would reprocess" : "reprocessing"} ${ids.length} submission(s)${ids.length ? `: ${ids.slice(0, 50).join(" ")}${ids.length > 50 ? " ..." : ""}` : ""}\n`,
  );
} catch (err) {
  process.stderr.write(`reprocess: ${(err as Error).message}\n`);
  process.exitCode = 1;
} finally {
  await Promise.allSettled([queue.close(), prisma.$disconnect()]);
}
