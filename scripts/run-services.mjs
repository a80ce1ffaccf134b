// Runs the API and the worker side by side with prefixed output; stops both when one exits or on
// Ctrl-C/SIGTERM (each gets SIGTERM and finishes its in-flight work).
import { spawn } from "node:child_process";

// The worker's young generation is kept small (--max-semi-space-size=4, MB): it moves decoder output
// in 256 KiB pieces, and V8's default (16 MB semi-spaces) let that garbage pile up in its peak RSS
// for no speed (the figures and their command: services/worker/README.md).
// The API runs one process per CPU (API_PROCESSES=auto, services/api/src/cluster.ts): an annotated
// events page is CPU work, and one process serves them at one core's pace.
const services = [
  ["api", "services/api/src/server.ts", [], { API_PROCESSES: "auto" }],
  ["worker", "services/worker/src/main.ts", ["--max-semi-space-size=4"], {}],
];
const children = services.map(([name, entry, flags, defaults]) => {
  const child = spawn(process.execPath, [...flags, "--import", "tsx", entry], {
    env: { ...defaults, ...process.env },
    stdio: ["ignore", "pipe", "pipe"],
  });
  for (const stream of [child.stdout, child.stderr]) {
    let rest = "";
    stream.on("data", (d) => {
      const lines = (rest + d).split("\n");
      rest = lines.pop() ?? "";
      for (const line of lines) process.stdout.write(`[${name}] ${line}\n`);
    });
  }
  return { name, child };
});

let stopping = false;
function stopAll(code) {
  if (stopping) return;
  stopping = true;
  for (const { child } of children) if (child.exitCode === null) child.kill("SIGTERM");
  process.exitCode = code;
}
for (const { name, child } of children) {
  child.on("exit", (code, signal) => {
    if (!stopping) console.error(`[${name}] exited (${signal ?? code}); stopping the others`);
    stopAll(code ?? 1);
  });
}
process.on("SIGINT", () => stopAll(0));
process.on("SIGTERM", () => stopAll(0));
