// Checks what the capture agent said and wrote in the guest: its exit status, its own count of
// lost events, and the files of the packed archive (unpacked into <dir>/unpacked).
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import type { ScenarioName } from "./edu-sequence";
import { report } from "./report";

export function checkAgentOutput(name: ScenarioName, dir: string): void {
  const check = (what: string, ok: boolean, detail = "") => report(`${name}: agent: ${what}`, ok, detail);
  const read = (file: string) => {
    try {
      return readFileSync(join(dir, file), "utf8");
    } catch {
      return "";
    }
  };

  const log = read("record.log");
  const exit = Number(/^record exit (\d+)$/m.exec(log)?.[1] ?? Number.NaN);
  const members = readdirSync(join(dir, "unpacked"));
  check(
    "the archive holds the trace, metadata.json and description.txt",
    members.some((m) => m.startsWith("trace.mmiotrace")) &&
      members.includes("metadata.json") &&
      members.includes("description.txt"),
    members.join(", "),
  );
  let metadata: Record<string, unknown> = {};
  try {
    metadata = JSON.parse(read("unpacked/metadata.json"));
  } catch {
    // reported below
  }
  check(
    "metadata.json names the guest's kernel",
    JSON.stringify(metadata).includes("6.1."),
    Object.keys(metadata).join(", "),
  );
  const lost = Number(/lost (\d+) events/i.exec(log)?.[1] ?? 0);
  if (name === "lost") {
    // Exit 3: "events were lost" (the agent's documented status), with a count and a larger buffer.
    check("record exits 3 and reports the lost events", exit === 3 && lost > 0, `exit ${exit}, lost ${lost}`);
    check("record suggests a larger buffer", /--buffer-kb \d+/.test(log), "");
  } else {
    check("record exits 0 and reports no lost events", exit === 0 && lost === 0, `exit ${exit}`);
  }
}
