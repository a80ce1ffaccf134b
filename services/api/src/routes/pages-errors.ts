import type { FastifyError, FastifyInstance } from "fastify";
import { hasZodFastifySchemaValidationErrors } from "fastify-type-provider-zod";
import { AppError } from "../errors";
import { html } from "../views/html";
import { layout } from "../views/layout";

/** Pages answer errors with a page, not JSON; the rule is the API's: no details above 500. */
export function registerPageErrors(app: FastifyInstance): void {
  app.setErrorHandler((err: FastifyError, request, reply) => {
    let status = err instanceof AppError ? err.statusCode : (err.statusCode ?? 500);
    if (hasZodFastifySchemaValidationErrors(err)) status = 400;
    const message = status < 500 ? err.message : "Something went wrong on our side.";
    if (status >= 500) request.log.error({ err }, "page failed");
    const title = status === 404 ? "Not found" : status < 500 ? "Bad request" : "Error";
    return reply
      .status(status)
      .type("text/html; charset=utf-8")
      .send(
        layout({
          title,
          body: html`<h1>${title}</h1><p class="error">${message}</p><p><a href="/">Search traces</a></p>`,
        }).value,
      );
  });
}
