import cluster from "node:cluster";
import { availableParallelism } from "node:os";

/** API_PROCESSES as a count: "auto" is one per CPU the process may use. */
export function apiProcessCount(setting: number | "auto"): number {
  return setting === "auto" ? availableParallelism() : setting;
}

/**
 * The primary process of API_PROCESSES > 1: forks that many API processes, which share the port
 * (node:cluster hands each new connection to the next in turn). An API process that dies while
 * serving is replaced; one that dies before it listens is a start-up failure (configuration,
 * database, Redis: it said why) and stops them all with exit code 1. SIGTERM/SIGINT are passed on,
 * each process finishes its requests (SHUTDOWN_GRACE_MS), and the primary exits after the last.
 * The API processes are stateless (rate limits and uploads live in Redis, PostgreSQL and the blob
 * store; the read caches are cleared across processes by LISTEN/NOTIFY), so any may serve any
 * request.
 */
export function superviseApiProcesses(count: number): void {
  const say = (message: string) => process.stderr.write(`mmiohub-api: ${message}\n`);
  const listening = new Set<number>();
  let stopping = false;
  let exitCode = 0;
  const alive = () => Object.values(cluster.workers ?? {}).filter((w) => w && !w.isDead()).length;
  const stop = (signal: NodeJS.Signals, code: number) => {
    if (!stopping) exitCode = code;
    stopping = true;
    for (const w of Object.values(cluster.workers ?? {})) if (w && !w.isDead()) w.process.kill(signal);
    if (alive() === 0) process.exit(exitCode);
  };
  cluster.on("listening", (worker) => listening.add(worker.id));
  cluster.on("exit", (worker, code, signal) => {
    const served = listening.delete(worker.id);
    if (stopping) {
      if (alive() === 0) process.exit(exitCode);
      return;
    }
    if (!served) {
      say(`an API process exited before it listened (${signal ?? code}): stopping`);
      stop("SIGTERM", 1);
      return;
    }
    say(`API process ${worker.process.pid} exited (${signal ?? code}); starting another`);
    cluster.fork();
  });
  for (const signal of ["SIGINT", "SIGTERM"] as const) process.on(signal, () => stop(signal, 0));
  for (let i = 0; i < count; i++) cluster.fork();
}
