import type { FastifyPluginAsyncZod } from "fastify-type-provider-zod";
import { canonicalQuery, searchQuery, searchResponse } from "../../schemas/search";
import { errorBody } from "../../schemas/submission";

/** GET /api/v1/traces: search with filters, facets, sorting and cursor pagination. */
export const traceSearchRoutes: FastifyPluginAsyncZod = async (app) => {
  const { config } = app.deps;
  app.get(
    "/api/v1/traces",
    {
      schema: {
        tags: ["traces"],
        summary: "Search traces",
        description:
          "Every filter is a query parameter, so a search is a URL that can be shared as it is. " +
          "Facet counts cover every matching trace; `next` is the cursor of the following page.",
        querystring: searchQuery,
        response: { 200: searchResponse, "4xx": errorBody },
      },
    },
    async (request) => {
      const filters = request.query;
      const result = await app.reads.searchTraces(filters, {
        traceUrl: (id) => `${config.PUBLIC_URL}/t/${id}`,
      });
      const link = (cursor?: string) => {
        const query = canonicalQuery(filters, cursor ? { cursor } : {});
        return `${config.PUBLIC_URL}/api/v1/traces${query ? `?${query}` : ""}`;
      };
      return {
        ...result,
        links: {
          self: link(filters.cursor),
          next: result.next ? link(result.next) : null,
        },
      };
    },
  );
};
