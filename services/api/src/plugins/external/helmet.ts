import type { FastifyInstance } from "fastify";
import helmet from "helmet";

/**
 * Security headers for the web pages, downloads and the API under them. Pages show
 * attacker-controlled text (markers, descriptions, file names): escaping is the first defence, this
 * CSP the second: scripts and styles only from our own /static files, nothing inline, no plugins,
 * no framing, forms only to us. helmet's middleware is built once (its header values computed
 * then); @fastify/helmet built it again on every request, parsing the CSP directives each time:
 * 2% of the API's CPU on events pages (a --cpu-prof of bench/src/api.bench.ts).
 */
export function registerHelmet(app: FastifyInstance): void {
  const headers = helmet({
    contentSecurityPolicy: {
      useDefaults: false,
      directives: {
        defaultSrc: ["'self'"],
        scriptSrc: ["'self'"],
        styleSrc: ["'self'"],
        imgSrc: ["'self'", "data:"],
        connectSrc: ["'self'"],
        fontSrc: ["'self'"],
        objectSrc: ["'none'"],
        baseUri: ["'none'"],
        formAction: ["'self'"],
        frameAncestors: ["'none'"],
      },
    },
    crossOriginEmbedderPolicy: false,
    referrerPolicy: { policy: "same-origin" },
  });
  app.addHook("onRequest", (request, reply, done) => {
    headers(request.raw, reply.raw, (err?: unknown) => done(err as Error | undefined));
  });
}
