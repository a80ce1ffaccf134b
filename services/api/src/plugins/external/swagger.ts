import swagger from "@fastify/swagger";
import swaggerUi from "@fastify/swagger-ui";
import type { FastifyInstance } from "fastify";
import { jsonSchemaTransform } from "fastify-type-provider-zod";

/**
 * OpenAPI built from the very zod schemas the routes validate with, served at /docs (UI) and
 * /docs/json. Only tagged routes are listed: the API, not the web pages.
 */
export async function registerSwagger(app: FastifyInstance): Promise<void> {
  await app.register(swagger, {
    openapi: {
      info: {
        title: "mmiohub API",
        description:
          "Upload mmiotrace dumps of the NVIDIA driver, search them, read them annotated. Anonymous clients " +
          "may upload (rate limited) and read; contributor and maintainer tokens are Bearer tokens.",
        version: "1",
      },
      servers: [{ url: app.deps.config.PUBLIC_URL }],
      tags: [
        { name: "submissions", description: "Uploads and their status" },
        { name: "uploads", description: "Resumable uploads (tus 1.0.0 with the creation extension)" },
        { name: "traces", description: "Search" },
      ],
      components: {
        securitySchemes: {
          bearer: {
            type: "http",
            scheme: "bearer",
            description: "An API token (mmh_…) or a submission's manage token (mmhm_…)",
          },
        },
      },
    },
    hideUntagged: true,
    transform: jsonSchemaTransform,
  });
  await app.register(swaggerUi, {
    routePrefix: "/docs",
    // Its own policy (the pages' one forbids the inline styles the UI sets); no upgrade-insecure-requests,
    // which would send /docs/json to https on a plain-http deployment.
    staticCSP:
      "default-src 'self'; base-uri 'none'; object-src 'none'; frame-ancestors 'none'; script-src 'self'; " +
      "style-src 'self' 'unsafe-inline'; img-src 'self' data:; font-src 'self' data:; connect-src 'self'",
  });
}
