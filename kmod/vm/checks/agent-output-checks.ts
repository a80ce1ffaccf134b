// Checks what the capture agent said and wrote in the guest: its exit status, its own count of
// lost events, and the files of the packed archive (unpacked into <dir>/unpacked).
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { type ScenarioName, scenarios } from "./edu-sequence";
import { report } from "./report";

/** lostEvents: what the trace itself reports, which the agent must agree with. */
export function checkAgentOutput(name: ScenarioName, dir: string, lostEvents: number): void {
  const check = (what: string, ok: boolean, detail = "") => report(`${name}: agent: ${what}`, ok, detail);
  const read = (file: string) => {
    try {
      return readFileSync(join(dir, file), "utf8");
    } catch {
      return "";
    }
  };

  const log = read("agent.log");
  const exit = Number(/^agent exit (\d+)$/m.exec(log)?.[1] ?? Number.NaN);
  const members = readdirSync(join(dir, "unpacked"));
  check(
    "the archive holds the trace, metadata.json and description.txt",
    members.some((m) => m.startsWith("trace.mmiotrace")) &&
      members.includes("metadata.json") &&
      members.includes("description.txt"),
    members.join(", "),
  );
  let metadata: { kernel?: string; recording?: { lostEvents?: number; bufferKb?: number } } = {};
  try {
    metadata = JSON.parse(read("unpacked/metadata.json"));
  } catch {
    // reported below
  }
  const release = process.env.MMIOHUB_VM_KERNEL_RELEASE ?? "(unknown)";
  check(
    "metadata.json names the guest's kernel",
    metadata.kernel?.includes(` ${release} `) === true,
    `kernel ${metadata.kernel ?? "absent"}; booted ${release}`,
  );
  const s = scenarios[name];
  check(
    "metadata.json tells how it was recorded (buffer size, lost events)",
    metadata.recording?.bufferKb === s.bufferKb && (metadata.recording?.lostEvents ?? -1) === lostEvents,
    `bufferKb ${metadata.recording?.bufferKb}, lostEvents ${metadata.recording?.lostEvents}; trace: ${lostEvents} lost`,
  );
  // The agent reports the running total as it goes and at the end: the largest figure is the total.
  const said = Math.max(0, ...[...log.matchAll(/lost (\d+) events/gi)].map((m) => Number(m[1])));
  if (name === "lost") {
    // Exit 3: "events were lost" (the agent's documented status), with the count and a larger buffer.
    check(
      "record exits 3 and reports the lost events",
      exit === 3 && said === lostEvents,
      `exit ${exit}, said ${said} lost; trace: ${lostEvents}`,
    );
    check("record suggests a larger buffer", /--buffer-kb \d+/.test(log), "");
  } else {
    // Exit 4: "archive queued (not sent)": the guest has no network, the archive waits for upload.
    const queue = /^queue: (.*)$/m.exec(log)?.[1] ?? "";
    check(
      "submit records, packs and queues the archive (exit 4, nothing lost)",
      exit === 4 && said === 0 && queue.split(" ").includes(`edu_mmio-${name}.tar.xz`),
      `exit ${exit}, queue: ${queue}`,
    );
  }
}
