import type { FastifyError, FastifyInstance } from "fastify";
import { hasZodFastifySchemaValidationErrors } from "fastify-type-provider-zod";
import { AppError } from "../errors";
import { html } from "../views/html";
import { layout } from "../views/layout";

const TITLES: Record<number, string> = {
  401: "Sign-in needed",
  403: "Not allowed",
  404: "Not found",
  409: "Busy",
  410: "Withdrawn",
  429: "Too many requests",
};

// A withdrawn submission's links answer 410 Gone (as the API does): it existed and was taken down
// on purpose, which is worth telling someone who follows an old link.
const GONE = html`<p>Its uploader or a maintainer withdrew it: the archive, its traces and their
  events are no longer shown or served here, and links to it end on this page.</p>`;

/** Pages answer errors with a page, not JSON; the rule is the API's: no details above 500. */
export function registerPageErrors(app: FastifyInstance): void {
  app.setErrorHandler((err: FastifyError, request, reply) => {
    let status = err instanceof AppError ? err.statusCode : (err.statusCode ?? 500);
    if (hasZodFastifySchemaValidationErrors(err)) status = 400;
    const message = status < 500 ? err.message : "Something went wrong on our side.";
    if (status >= 500) request.log.error({ err }, "page failed");
    const title = TITLES[status] ?? (status < 500 ? "Bad request" : "Error");
    const why = status === 410 ? GONE : html``;
    return reply
      .status(status)
      .type("text/html; charset=utf-8")
      .send(
        layout({
          title,
          body: html`<h1>${title}</h1><p class="error">${message}</p>${why}<p><a href="/">Search traces</a></p>`,
        }).value,
      );
  });
}
