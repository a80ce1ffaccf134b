// The host-side checks of one scenario, in one process: the raw trace against the module's
// documented sequence; with the agent recorder also the agent's own output, the upload with
// `mmiohub-agent upload`, and the result through the public API.
// Usage: tsx scenario.ts <basic|lost> <guest-dir> busybox
//        tsx scenario.ts <basic|lost> <guest-dir> agent <api-url> <host agent argv...>
// Prints one line per check: "CHECK <1|0> <name> -- <detail>", which run.sh records.
import { execFileSync } from "node:child_process";
import { mkdirSync, readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { checkAgentOutput } from "./agent-output-checks";
import { checkApi } from "./api-checks";
import { type ScenarioName, scenarios } from "./edu-sequence";
import { report } from "./report";
import { checkTrace, lostEventsIn, lostNoticesIn } from "./trace-checks";
import { uploadArchive } from "./upload";

const [scenario, dir, recorder, apiUrl, ...agent] = process.argv.slice(2);
if (!scenario || !dir || !(scenario in scenarios) || (recorder === "agent" && (!apiUrl || !agent.length))) {
  console.error("usage: scenario.ts <basic|lost> <guest-dir> busybox | agent <api-url> <agent argv...>");
  process.exit(2);
}
const name = scenario as ScenarioName;

if (recorder !== "agent") {
  checkTrace(name, readFileSync(join(dir, "trace.mmiotrace"), "utf8"));
} else {
  const archive = readdirSync(dir).find((f) => f.endsWith(".tar.xz"));
  report(`${name}: the agent packed an archive in the guest`, !!archive, archive ?? "no .tar.xz came out");
  if (archive) {
    const unpacked = join(dir, "unpacked");
    mkdirSync(unpacked, { recursive: true });
    execFileSync("tar", ["-xJf", join(dir, archive), "-C", unpacked]);
    const traceFile = readdirSync(unpacked).find((f) => f.startsWith("trace.mmiotrace"));
    const text = traceFile ? readFileSync(join(unpacked, traceFile), "utf8") : "";
    checkTrace(name, text);
    checkAgentOutput(name, dir, lostEventsIn(text));
    const id = uploadArchive(name, agent, join(dir, archive), apiUrl as string, dir);
    if (id) await checkApi(name, apiUrl as string, id, lostNoticesIn(text));
  }
}
