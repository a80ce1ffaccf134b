import type { ProtectedFields } from "../services/pages-maintain";
import { type Html, html } from "./html";
import { layout } from "./layout";

export function loginPage(error?: string, who?: string): Html {
  return layout({
    title: "Maintainer sign-in",
    page: "login",
    body: html`<h1>Maintainer sign-in</h1>
${who ? html`<p>Signed in as <strong>${who}</strong>.</p><form method="post" action="/logout"><button type="submit">Sign out</button></form>` : ""}
${error ? html`<p class="error" role="alert">${error}</p>` : ""}
<p>Enter a maintainer API token (<code>mmh_...</code>). It is kept in a cookie only this site can read,
and lets the pages show protected fields and the reprocess, hide and withdraw actions.</p>
<form method="post" action="/login" class="login">
  <label>Token <input type="password" name="token" autocomplete="off" required></label>
  <button type="submit">Sign in</button>
</form>`,
  });
}

/** Protected fields and actions on a submission, shown to maintainers on its pages. */
export function maintainerPanel(submissionId: string, p: ProtectedFields, back: string): Html {
  const privateKeys = Object.entries((p.privateMetadata ?? {}) as Record<string, unknown>);
  const action = (name: string, label: string) =>
    html`<form method="post" action="/s/${submissionId}/maintain" class="inline"><input type="hidden" name="action" value="${name}"><input type="hidden" name="back" value="${back}"><button type="submit">${label}</button></form>`;
  return html`<section class="maintainer"><h2>Maintainer</h2>
<dl>
  <dt>Contact email</dt><dd>${p.contactEmail ?? "—"}</dd>
  <dt>Hostname</dt><dd>${p.hostname ?? "—"}</dd>
  ${privateKeys.map(([k, v]) => html`<dt>${k} (private)</dt><dd>${typeof v === "string" ? v : JSON.stringify(v)}</dd>`)}
  <dt>State</dt><dd>${p.status}${p.hidden ? " · hidden" : ""}${p.withdrawnAt ? ` · withdrawn ${p.withdrawnAt.toISOString().slice(0, 16)}` : ""}</dd>
</dl>
<div class="actions">
  ${action("reprocess", "Reprocess")}
  ${p.hidden ? action("unhide", "Unhide") : action("hide", "Hide")}
  ${p.withdrawnAt ? "" : action("withdraw", "Withdraw")}
</div>
</section>`;
}

export function managePage(
  s: { id: string; description: string | null; withdrawnAt: Date | null },
  token: string,
  message?: string,
): Html {
  return layout({
    title: `Manage submission ${s.id}`,
    page: "manage",
    body: html`<h1>Manage submission <a href="/s/${s.id}"><code>${s.id}</code></a></h1>
${message ? html`<p class="ok" role="status">${message}</p>` : ""}
${
  s.withdrawnAt
    ? html`<p class="warn">Withdrawn on ${s.withdrawnAt.toISOString().slice(0, 10)}: it is no longer listed or served.</p>`
    : html`<form method="post" action="/s/${s.id}/manage" class="upload">
  <input type="hidden" name="token" value="${token}">
  <label>Description <textarea name="description" rows="8" maxlength="20000">${s.description ?? ""}</textarea></label>
  <button type="submit" name="action" value="describe">Save the description</button>
</form>
<form method="post" action="/s/${s.id}/manage">
  <input type="hidden" name="token" value="${token}">
  <p>Withdrawing removes the submission from search and from every public page. It cannot be undone from here.</p>
  <button type="submit" name="action" value="withdraw">Withdraw this submission</button>
</form>`
}`,
  });
}
