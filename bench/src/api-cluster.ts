// The API (services/api/src/server.ts) as API_PROCESSES processes sharing one port through
// node:cluster, for api.bench.ts --api-processes: whether a second process on this machine's two
// cores serves more events pages than one. A benchmark entry, not a production launcher.
import cluster from "node:cluster";

const count = Math.max(1, Number(process.env.API_PROCESSES ?? "2"));
if (cluster.isPrimary) {
  for (let i = 0; i < count; i++) cluster.fork();
  let exited = 0;
  cluster.on("exit", () => {
    if (++exited === count) process.exit(0);
  });
  for (const signal of ["SIGINT", "SIGTERM"] as const)
    process.once(signal, () => {
      for (const w of Object.values(cluster.workers ?? {})) w?.process.kill(signal);
    });
} else {
  await import("../../services/api/src/server");
}
