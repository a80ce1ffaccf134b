import { type Html, type HtmlValue, html } from "./html";

export interface PageOptions {
  title: string;
  body: HtmlValue;
  /** extra class on <body>, for page-specific styling */
  page?: string;
}

/** The shell of every page: one stylesheet, one deferred script, nothing inline (see the CSP). */
export function layout({ title, body, page }: PageOptions): Html {
  return html`<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${title} · mmiohub</title>
<link rel="stylesheet" href="/static/style.css">
<script src="/static/app.js" defer></script>
</head>
<body class="${page ?? ""}">
<header class="top">
  <a class="brand" href="/">mmiohub</a>
  <nav>
    <a href="/">Search</a>
    <a href="/upload">Upload</a>
    <a href="/record">Record a trace</a>
    <a href="/docs">API</a>
    <a href="/login">Maintainers</a>
  </nav>
</header>
<main>
${body}
</main>
<footer>mmiotrace logs of the NVIDIA driver, annotated for the nouveau project.</footer>
</body>
</html>
`;
}

export function formatBytes(n: number): string {
  if (n < 1024) return `${n} B`;
  const units = ["KiB", "MiB", "GiB", "TiB"];
  let v = n / 1024;
  let u = 0;
  while (v >= 1024 && u < units.length - 1) {
    v /= 1024;
    u++;
  }
  return `${v.toFixed(v < 10 ? 1 : 0)} ${units[u]}`;
}

export const hex4 = (n: number) => n.toString(16).padStart(4, "0");

export function formatDate(d: Date): string {
  return d.toISOString().slice(0, 16).replace("T", " ");
}
