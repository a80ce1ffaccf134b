// One API process: connections, the app, listen, graceful close (server.ts starts it, or the
// primary of API_PROCESSES > 1 forks processes that do).
import { createPrisma } from "@mmiohub/db";
import { createQueue, redisConnection } from "@mmiohub/jobs";
import { createBlobStore } from "@mmiohub/storage";
import { buildApp } from "./app";
import { acceptFromPrimary, leaveTurn, underBalancer } from "./cluster";
import type { ApiConfig } from "./env";
import { AppError } from "./errors";
import { checkBackingServices } from "./startup";

/** One API process: connections, the app, listen, graceful close. */
export async function serve(config: ApiConfig): Promise<void> {
  const prisma = createPrisma(config.DATABASE_URL);
  const queue = createQueue("ingest", redisConnection(config.REDIS_URL, "producer"), config.QUEUE_PREFIX);
  queue.on("error", () => {}); // reported per request (503) and by /health
  await checkBackingServices(config, prisma, queue);

  const app = await buildApp(
    {
      config,
      prisma,
      storage: createBlobStore(config),
      queue,
      readCache: config.READ_CACHE_ENTRIES,
    },
    {
      logger: { level: config.LOG_LEVEL },
      bodyLimit: 1024 * 1024,
      requestTimeout: 0,
      trustProxy: config.TRUST_PROXY,
    },
  );
  // Requests whose handler has not answered yet. Closing a connection does not stop its handler (a
  // cut tus chunk still records the bytes that arrived); onSend is reached either way.
  const inFlight = new Set<object>();
  let closing = false;
  // Under the primary of API_PROCESSES > 1, which listens and hands connections out (cluster.ts).
  const handedOver = underBalancer();
  app.addHook("onRequest", (request, reply, done) => {
    inFlight.add(request);
    // Shutting down without a listening socket of our own, fastify does not know it yet (it is
    // closed once the requests are done): a new request is turned away as fastify would do it.
    if (closing && handedOver) {
      reply.header("connection", "close");
      done(new AppError("SERVICE_UNAVAILABLE", "this API process is shutting down; retry"));
      return;
    }
    done();
  });
  app.addHook("onSend", (request, _reply, payload, done) => {
    inFlight.delete(request);
    done(null, payload);
  });
  if (handedOver) {
    await app.ready();
    // Node's http server tracks its connections (idle ones closed on close, the headers timeout)
    // from when it listens; this one never listens.
    app.server.emit("listening");
    acceptFromPrimary((socket) => {
      if (closing) return false;
      // As node's http server sets each connection it accepts itself: without it, the last small
      // segment of an answer written in parts waited for the client's delayed ACK (a sequence page
      // took 44 ms at the median under wrk).
      socket.setNoDelay(true);
      app.server.emit("connection", socket);
      socket.resume();
      return true;
    });
  } else await app.listen({ host: config.HOST, port: config.PORT });

  /**
   * SIGTERM: stop accepting connections and let in-flight requests finish for SHUTDOWN_GRACE_MS
   * (idle keep-alive connections are closed at once). Past the grace, the remaining connections
   * are closed: an upload cut there is not acknowledged, and a resumable one keeps the bytes that
   * arrived (the process waits, bounded, for their handlers). Then the app closes (its hooks close
   * the event stores, the change feed, Redis), after its requests.
   */
  for (const signal of ["SIGINT", "SIGTERM"] as const) {
    // `on`, not `once`: Ctrl-C under `npm start` sends SIGINT to the group and the primary passes
    // one on, and a second signal without a listener would kill the process mid-grace.
    process.on(signal, async () => {
      if (closing) return;
      closing = true;
      app.log.info(
        { signal, graceMs: config.SHUTDOWN_GRACE_MS },
        "shutting down: finishing in-flight requests",
      );
      setTimeout(() => process.exit(1), config.SHUTDOWN_GRACE_MS + 10_000).unref();
      const wait = (ms: number) => new Promise<false>((resolve) => setTimeout(resolve, ms, false).unref());
      const drained = async () => {
        while (inFlight.size > 0) await wait(20);
        return true;
      };
      // A listening app's close stops listening and waits for the connections itself; a handed-over
      // one's would return at once, so it closes after its requests, out of the primary's turn.
      if (handedOver) {
        leaveTurn();
        app.server.closeIdleConnections();
      }
      const closed = handedOver
        ? drained().then(() => app.close().then(() => true))
        : app.close().then(drained);
      if (!(await Promise.race([closed, wait(config.SHUTDOWN_GRACE_MS)]))) {
        app.log.warn("shutdown: grace period over, closing the remaining connections");
        app.server.closeAllConnections();
        const until = Date.now() + 5_000;
        while (inFlight.size > 0 && Date.now() < until) await wait(50);
        await Promise.race([closed, wait(Math.max(0, until - Date.now()))]);
        if (handedOver) await Promise.race([app.close(), wait(2_000)]);
      }
      await Promise.allSettled([queue.close(), prisma.$disconnect()]);
      process.exit(0);
    });
  }
}
