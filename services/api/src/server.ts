// Process work only: configuration, then one API process (serve.ts) or, with API_PROCESSES > 1,
// the primary of that many (cluster.ts). The primary loads neither the app nor its connections.
import cluster from "node:cluster";
import { ConfigError } from "@mmiohub/config";
import { apiProcessCount, superviseApiProcesses } from "./cluster";
import { loadApiEnv } from "./env";
import { fatal } from "./startup";

let config: ReturnType<typeof loadApiEnv>;
try {
  config = loadApiEnv();
} catch (err) {
  fatal(err instanceof ConfigError ? err.message : String(err));
}
const processes = apiProcessCount(config.API_PROCESSES);
if (cluster.isPrimary && processes > 1)
  superviseApiProcesses(processes, { host: config.HOST, port: config.PORT });
else await (await import("./serve")).serve(config);
