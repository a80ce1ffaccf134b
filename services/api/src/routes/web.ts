import type { FastifyInstance } from "fastify";
import { registerHelmet } from "../plugins/external/helmet";
import { EventService } from "../services/events-read";
import { downloadRoutes } from "./downloads";
import { pageRoutes } from "./pages";
import { registerPageErrors } from "./pages-errors";
import { maintainPageRoutes } from "./pages-maintain";
import { tracePageRoutes } from "./pages-trace";
import { traceEventRoutes } from "./traces-events";
import { staticRoutes } from "./web-static";

/**
 * Everything a browser reads: the pages, their static files, the events API and the downloads,
 * behind the security headers (registered here, so they cover exactly these routes).
 */
export async function webRoutes(app: FastifyInstance): Promise<void> {
  const { config, storage } = app.deps;
  // The register database is optional: without it events are served unannotated by name.
  const rnndbDir = (config as { MMIOHUB_RNNDB?: string }).MMIOHUB_RNNDB ?? process.env.MMIOHUB_RNNDB;
  const events = new EventService(storage, rnndbDir);
  app.addHook("onClose", () => events.close());
  registerHelmet(app);
  await app.register(staticRoutes);
  await app.register(traceEventRoutes, { events });
  await app.register(downloadRoutes, { events });
  await app.register(async (pages) => {
    registerPageErrors(pages);
    await pages.register(maintainPageRoutes);
    await pages.register(pageRoutes);
    await pages.register(tracePageRoutes, { events });
  });
}
