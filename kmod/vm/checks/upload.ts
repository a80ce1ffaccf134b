// Uploads a packed archive with the capture agent, as a contributor would from a machine with a
// network, and returns the submission id the agent printed (its link ends in /s/<id>).
import { spawnSync } from "node:child_process";
import { appendFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import type { ScenarioName } from "./edu-sequence";
import { report } from "./report";

export function uploadArchive(
  name: ScenarioName,
  agent: string[],
  archive: string,
  server: string,
  dir: string,
): string | undefined {
  const logFile = join(dir, "upload.log");
  writeFileSync(logFile, "");
  const run = (extra: string[]) => {
    const [cmd, ...args] = agent as [string, ...string[]];
    const r = spawnSync(
      cmd,
      [...args, "upload", archive, "--server", server, "--queue-dir", join(dir, "queue"), ...extra],
      { encoding: "utf8", timeout: 120_000 },
    );
    const output = `${r.stdout ?? ""}${r.stderr ?? ""}`;
    appendFileSync(logFile, `$ mmiohub-agent upload ${extra.join(" ")}\n${output}exit ${r.status}\n`);
    return { status: r.status, output };
  };
  let r = run([]);
  if (r.status !== 0 && /no route POST \/api\/v1\/uploads/.test(r.output)) {
    // The API does not serve resumable uploads yet: say so, and go on with the agent's multipart
    // method so that the rest of the chain is still checked.
    report(
      `${name}: resumable upload (tus) accepted`,
      false,
      "PENDING: the API has no POST /api/v1/uploads yet (issue 6)",
    );
    r = run(["--method", "multipart"]);
  }
  const id = /\/s\/([A-Za-z0-9_-]+)/.exec(r.output)?.[1];
  report(
    `${name}: mmiohub-agent upload sent the archive`,
    r.status === 0 && id !== undefined,
    `exit ${r.status}, submission ${id ?? "?"}${r.status === 0 ? "" : `: ${r.output.slice(-400)}`}`,
  );
  return id;
}
