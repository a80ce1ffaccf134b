import type { FastifyError, FastifyInstance } from "fastify";
import { hasZodFastifySchemaValidationErrors } from "fastify-type-provider-zod";
import { AppError } from "../../errors";

// Codes that mean "a backing service is unreachable" rather than "our bug".
const UNAVAILABLE = new Set(["ECONNREFUSED", "ECONNRESET", "ETIMEDOUT", "EHOSTUNREACH", "57P01", "57P03"]);

function isUnavailable(err: unknown): boolean {
  let e = err as { code?: string; cause?: unknown; message?: string } | undefined;
  for (let depth = 0; e && depth < 5; depth++) {
    if (e.code && UNAVAILABLE.has(e.code)) return true;
    if (
      /Connection is closed|Stream isn't writeable|Can't reach database|connection terminated/i.test(
        e.message ?? "",
      )
    )
      return true;
    e = e.cause as typeof e;
  }
  return false;
}

/** The one error handler: messages pass through below 500; above, a generic text and a log line. */
export function registerErrorHandler(app: FastifyInstance): void {
  app.setErrorHandler((caught: FastifyError, request, reply) => {
    let err: FastifyError | AppError = caught;
    if (err.code === "FST_ERR_CTP_INVALID_MEDIA_TYPE") {
      const type = request.headers["content-type"] ?? "none";
      err = new AppError(
        "UNSUPPORTED_MEDIA_TYPE",
        `${request.method} ${request.routeOptions.url ?? request.url} does not take Content-Type ${type}`,
      );
    }
    if (err instanceof AppError) {
      return reply.status(err.statusCode).send({ error: { code: err.code, message: err.message } });
    }
    if (hasZodFastifySchemaValidationErrors(err)) {
      const message = err.validation
        .map((v) => `${v.instancePath.replace(/^\//, "") || "request"}: ${v.message}`)
        .join("; ");
      return reply.status(400).send({ error: { code: "VALIDATION_FAILED", message } });
    }
    if (isUnavailable(err)) {
      request.log.warn({ err }, "backing service unavailable");
      return reply
        .status(503)
        .header("retry-after", "5")
        .send({
          error: {
            code: "SERVICE_UNAVAILABLE",
            message: "a backing service (database or queue) is unavailable; retry shortly",
          },
        });
    }
    const status = err.statusCode && err.statusCode >= 400 ? err.statusCode : 500;
    if (status < 500) {
      return reply.status(status).send({ error: { code: err.code ?? "BAD_REQUEST", message: err.message } });
    }
    request.log.error({ err }, "unhandled error");
    return reply.status(500).send({ error: { code: "INTERNAL", message: "Internal Server Error" } });
  });
  app.setNotFoundHandler((request, reply) =>
    reply
      .status(404)
      .send({ error: { code: "NOT_FOUND", message: `no route ${request.method} ${request.url}` } }),
  );
}
