// A preload for the API process under a benchmark: server-side time of each events request (from
// its headers parsed to its response written, node's diagnostics channels) and the event loop's
// lag, written to /tmp/mmiohub-server-latency-<pid>.txt when the process ends. It tells the time a
// request spends in the API from the time it waits in a queue on a saturated machine.
//
//   npx tsx bench/src/api.bench.ts --only events-api --no-floor \
//     --api-node-options "--import ./bench/src/server-latency-preload.mjs"
//   cat /tmp/mmiohub-server-latency-*.txt
import dc from "node:diagnostics_channel";
import { writeFileSync } from "node:fs";

const started = new WeakMap();
const serverMs = [];
const lagMs = [];
dc.subscribe("http.server.request.start", ({ request }) => started.set(request, process.hrtime.bigint()));
dc.subscribe("http.server.response.finish", ({ request }) => {
  const t = started.get(request);
  if (t !== undefined && request.url.includes("/events"))
    serverMs.push(Number(process.hrtime.bigint() - t) / 1e6);
});
let last = performance.now();
setInterval(() => {
  const now = performance.now();
  lagMs.push(now - last - 10);
  last = now;
}, 10).unref();

const at = (list, p) => {
  const s = [...list].sort((a, b) => a - b);
  return s.length ? s[Math.min(s.length - 1, Math.floor(p * s.length))].toFixed(1) : "-";
};
process.on("exit", () => {
  writeFileSync(
    `/tmp/mmiohub-server-latency-${process.pid}.txt`,
    `${serverMs.length} events requests: server ms p50 ${at(serverMs, 0.5)} p90 ${at(serverMs, 0.9)} p99 ${at(serverMs, 0.99)} max ${at(serverMs, 1)}; event loop lag ms p99 ${at(lagMs, 0.99)} max ${at(lagMs, 1)}\n`,
  );
});
