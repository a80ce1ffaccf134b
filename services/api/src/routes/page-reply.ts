import type { Db } from "@mmiohub/db";
import type { FastifyReply } from "fastify";
import { loadProtected } from "../services/pages-maintain";
import type { Html } from "../views/html";
import { maintainerPanel } from "../views/maintain-pages";

/** A rendered page as the answer. */
export const sendPage = (reply: FastifyReply, page: Html) =>
  reply.type("text/html; charset=utf-8").send(page.value);

/**
 * The maintainers' panel of a submission's page (protected fields, reprocess, hide, withdraw),
 * coming back to `back`; undefined for everyone else, who never gets the fields loaded.
 */
export async function maintainerPanelFor(
  db: Db,
  maintainer: boolean,
  submissionId: string,
  back: string,
): Promise<Html | undefined> {
  const prot = maintainer ? await loadProtected(db, submissionId) : null;
  return prot ? maintainerPanel(submissionId, prot, back) : undefined;
}
