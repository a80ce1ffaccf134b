// Runs the API and the worker side by side with prefixed output; stops both when one exits or on
// Ctrl-C/SIGTERM (each gets SIGTERM and finishes its in-flight work).
import { spawn } from "node:child_process";

const services = [
  ["api", "services/api/src/server.ts"],
  ["worker", "services/worker/src/main.ts"],
];
const children = services.map(([name, entry]) => {
  const child = spawn(process.execPath, ["--import", "tsx", entry], { stdio: ["ignore", "pipe", "pipe"] });
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
