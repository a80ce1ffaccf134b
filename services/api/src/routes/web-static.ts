import { readFile } from "node:fs/promises";
import type { FastifyInstance } from "fastify";

const PUBLIC = new URL("../../public/", import.meta.url);
const TYPES: Record<string, string> = {
  "style.css": "text/css; charset=utf-8",
  "app.js": "text/javascript; charset=utf-8",
};

/** The two static files of the pages, read once: a fixed list, so no path ever comes from the URL. */
export async function staticRoutes(app: FastifyInstance): Promise<void> {
  const files = new Map<string, Buffer>();
  for (const name of Object.keys(TYPES)) files.set(name, await readFile(new URL(name, PUBLIC)));
  app.get<{ Params: { name: string } }>("/static/:name", async (request, reply) => {
    const body = files.get(request.params.name);
    if (!body) return reply.status(404).type("text/plain").send("not found");
    return reply.type(TYPES[request.params.name]!).header("cache-control", "public, max-age=300").send(body);
  });
}
