import cluster, { type Worker } from "node:cluster";
import { createServer, type Socket } from "node:net";
import { availableParallelism } from "node:os";

/** API_PROCESSES as a count: "auto" is one per CPU the process may use. */
export function apiProcessCount(setting: number | "auto"): number {
  return setting === "auto" ? availableParallelism() : setting;
}

/** Messages between the primary and its API processes. */
const BALANCER = {
  /** API process -> primary: the app is built, send connections. */
  ready: "mmiohub:ready",
  /** primary -> API process: a new connection (the message's handle; its `id`), not read from yet. */
  connection: "mmiohub:connection",
  /** API process -> primary: connection `id` is served here (the primary closes its own copy). */
  taken: "mmiohub:taken",
  /** API process -> primary: connection `id` is not (shutting down): the primary hands it on. */
  refused: "mmiohub:refused",
  /** API process -> primary: shutting down (a signal of its own), send no more connections. */
  draining: "mmiohub:draining",
} as const;

/** The wait before starting again after a replacement failed to start, doubled at each failure in a row. */
const RETRY_FIRST_MS = 1000;
const RETRY_MAX_MS = 30_000;

/** Set in the environment of the API processes the primary forks. */
const BALANCED = "MMIOHUB_API_BALANCED";

/** True in an API process of our primary (not merely in some cluster worker). */
export const underBalancer = () => process.env[BALANCED] === "1";

const messageOf = (m: unknown): string | undefined =>
  typeof m === "object" && m !== null ? (m as { mmiohub?: string }).mmiohub : undefined;
const idOf = (m: unknown): number | undefined =>
  typeof m === "object" && m !== null ? (m as { id?: number }).id : undefined;

/** How many API processes a connection is handed to before the primary gives it up. */
const MAX_HANDS = 4;

/**
 * The primary process of API_PROCESSES > 1: forks that many API processes and listens on the port
 * itself, handing new connections to the ready API processes strictly in turn. (The cluster
 * module's own turn-taking skips a process that has not yet taken its last connection: under load,
 * 20 keep-alive clients connecting at once (21 connections with the benchmark's own) ended up
 * 12 and 9, or 9 and 12, on two processes, and the busier one's clients waited longer. Fewest
 * open connections first did no better (8 and 13):
 * a busy process reports the closes of a previous set of connections tens of milliseconds late.)
 * An API process that dies while serving is replaced. Before any was ready, one that dies before
 * it is ready is a start-up failure (configuration, database, Redis: it said why) and stops them
 * all with exit code 1; after, a replacement that dies before it is ready is started again after a
 * wait (1 s, doubled at each failure in a row, 30 s at most) while the others serve. One
 * signalled on its own (a restart of one process) says so and gets no more connections while it
 * finishes its requests; it is replaced once it exits, as is one signalled while it starts. A
 * connection is the primary's until its API process says it took it: one on its way to a process
 * that dies, or that is shutting down, goes to another. SIGTERM/SIGINT to the primary: it stops
 * accepting and passes the signal on, each process finishes its requests (SHUTDOWN_GRACE_MS), and
 * the primary exits after the last. The API processes are stateless (rate limits and uploads live
 * in Redis, PostgreSQL and the blob store; the read caches are cleared across processes by
 * LISTEN/NOTIFY), so any may serve any request.
 */
export function superviseApiProcesses(count: number, address: { host: string; port: number }): void {
  const say = (message: string) => process.stderr.write(`mmiohub-api: ${message}\n`);
  /** the API processes that are ready, in the order they take connections */
  const ready: Worker[] = [];
  /** those that said they are shutting down, out of the turn */
  const draining = new Set<Worker>();
  let turn = 0;
  let stopping = false;
  let exitCode = 0;
  /** an API process has been ready: the configuration and the services were good once */
  let served = false;
  /** replacements in a row that exited before they were ready, and the timer of the next */
  let failedStarts = 0;
  let retry: NodeJS.Timeout | undefined;
  const fork = () => cluster.fork({ [BALANCED]: "1" });
  const alive = () => Object.values(cluster.workers ?? {}).filter((w) => w && !w.isDead()).length;
  const next = (): Worker | undefined => {
    for (let k = 0; k < ready.length; k++) {
      const worker = ready[turn++ % ready.length]!;
      if (!worker.isDead() && worker.isConnected()) return worker;
    }
    return undefined;
  };
  /**
   * Connections handed to an API process that has not yet said it took them, by id. The primary
   * keeps its own copy of each until then, so one whose process died before taking it (the
   * handing message lost with the process) or refused it (shutting down) goes to another: the
   * client only sees its answer come a little later.
   */
  const handed = new Map<number, { socket: Socket; worker: Worker; hands: number }>();
  let lastId = 0;
  const hand = (socket: Socket, hands = 0) => {
    const worker = stopping || hands >= MAX_HANDS ? undefined : next();
    if (!worker) {
      socket.destroy();
      return;
    }
    const id = ++lastId;
    handed.set(id, { socket, worker, hands: hands + 1 });
    worker.send({ mmiohub: BALANCER.connection, id }, socket, { keepOpen: true }, (err) => {
      // Not sent (the process went away meanwhile): to the next one.
      if (err) handOn(id);
    });
  };
  /** Connection `id` taken by its API process (the primary's copy closed) or handed on. */
  const settle = (id: number, taken: boolean) => {
    const h = handed.get(id);
    if (!h) return;
    handed.delete(id);
    if (taken) h.socket.destroy();
    else hand(h.socket, h.hands);
  };
  const handOn = (id: number) => settle(id, false);
  const server = createServer({ pauseOnConnect: true }, (socket: Socket) => hand(socket));
  const stop = (signal: NodeJS.Signals, code: number) => {
    if (!stopping) exitCode = code;
    stopping = true;
    clearTimeout(retry);
    if (server.listening) server.close();
    for (const w of Object.values(cluster.workers ?? {})) if (w && !w.isDead()) w.process.kill(signal);
    if (alive() === 0) process.exit(exitCode);
  };
  server.on("error", (err) => {
    // Once listening, an error is one connection's (EMFILE, ECONNABORTED): the next may do.
    if (server.listening) {
      say(`accepting a connection failed: ${err.message}`);
      return;
    }
    say(`cannot listen on ${address.host}:${address.port}: ${err.message}`);
    stop("SIGTERM", 1);
  });
  cluster.on("message", (worker, message) => {
    const kind = messageOf(message);
    if (kind === BALANCER.taken || kind === BALANCER.refused) {
      const id = idOf(message);
      if (id !== undefined && handed.get(id)?.worker === worker) settle(id, kind === BALANCER.taken);
      return;
    }
    if (kind === BALANCER.draining) {
      if (worker.isDead()) return; // its exit came first: already replaced
      const at = ready.indexOf(worker);
      if (at >= 0) ready.splice(at, 1);
      draining.add(worker);
      if (!stopping) say(`API process ${worker.process.pid} is shutting down: no new connections for it`);
      return;
    }
    if (kind !== BALANCER.ready || ready.includes(worker) || draining.has(worker)) return;
    ready.push(worker);
    served = true;
    failedStarts = 0;
    if (!server.listening && !stopping) server.listen(address.port, address.host);
  });
  cluster.on("exit", (worker, code, signal) => {
    const at = ready.indexOf(worker);
    if (at >= 0) ready.splice(at, 1);
    const drained = draining.delete(worker);
    // Connections on their way to it when it died: to the others.
    for (const [id, h] of [...handed]) if (h.worker === worker) handOn(id);
    if (stopping) {
      if (alive() === 0) process.exit(exitCode);
      return;
    }
    // Stopped by a signal while it started (not by the primary): replaced like one that served.
    const signalled = signal === "SIGTERM" || signal === "SIGINT";
    if (at < 0 && !drained && !signalled) {
      // Before any was ready, a start-up failure (configuration, database, Redis): it said why.
      if (!served) {
        say(`an API process exited before it was ready (${signal ?? code}): stopping`);
        stop("SIGTERM", 1);
        return;
      }
      // A replacement that failed to start (the database restarting, killed for memory) while the
      // others serve: they go on, and another is started later, later each time it fails again.
      const delay = Math.min(RETRY_MAX_MS, RETRY_FIRST_MS * 2 ** failedStarts++);
      say(
        `API process ${worker.process.pid} exited before it was ready (${signal ?? code}); starting another in ${delay / 1000} s`,
      );
      retry = setTimeout(() => {
        retry = undefined;
        if (!stopping) fork();
      }, delay);
      return;
    }
    say(`API process ${worker.process.pid} exited (${signal ?? code}); starting another`);
    fork();
  });
  for (const signal of ["SIGINT", "SIGTERM"] as const) process.on(signal, () => stop(signal, 0));
  for (let i = 0; i < count; i++) fork();
}

/** In an API process under the primary: serves the connections it is handed, then says it is ready. */
export function acceptFromPrimary(accept: (socket: Socket) => boolean): void {
  process.on("message", (message, handle) => {
    if (messageOf(message) !== BALANCER.connection || !handle) return;
    const socket = handle as Socket;
    const taken = accept(socket);
    // Refused, this copy goes; the primary's goes to another process.
    if (!taken) socket.destroy();
    const reply = { mmiohub: taken ? BALANCER.taken : BALANCER.refused, id: idOf(message) };
    if (process.connected) process.send?.(reply, undefined, {}, () => {});
  });
  process.send?.({ mmiohub: BALANCER.ready });
}

/**
 * In an API process under the primary, shutting down: asks the primary for no more connections
 * (those already on their way are refused by the caller, and the primary hands them on).
 */
export function leaveTurn(): void {
  if (process.connected) process.send?.({ mmiohub: BALANCER.draining }, undefined, {}, () => {});
}
